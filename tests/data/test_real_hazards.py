"""The shipped taxonomy on the real sources in ../shared/data: which classes have data, which do not."""

from __future__ import annotations

from pathlib import Path

from mineguard.data.datasets.yolo import load_data_yaml
from mineguard.data.hazard_set import build_hazard_set, hazard_coverage
from mineguard.data.taxonomy import load_taxonomy

COVERED = {"crack", "mine_fire_source", "sidewall_collapse", "miner_equipment_and_behavior"}


def test_real_merged_set_covers_four_classes(shared_data: Path, tmp_path: Path) -> None:
    taxonomy = load_taxonomy()
    caps = {"helmets_rf": 20, "helmets_shwd": 20}
    summary = build_hazard_set(taxonomy, shared_data, tmp_path / "hazards", max_images=caps)
    coverage = hazard_coverage(taxonomy, summary.data_yaml)
    assert {c.name for c in coverage.classes if c.has_data} == COVERED
    assert set(coverage.missing) == set(taxonomy.names) - COVERED
    assert summary.per_source["helmets_rf"]["train"] + summary.per_source["helmets_shwd"]["train"] <= 40
    assert summary.dropped["fire8"] == {"default": 160}
    spec = load_data_yaml(summary.data_yaml)
    stems = [p.name for paths in spec.splits.values() for p in paths]
    assert len(stems) == len(set(stems))
    for c in coverage.classes:  # uncapped hazard sources reach every split (20 helmet images may not)
        assert c.name not in COVERED - {"miner_equipment_and_behavior"} or min(c.boxes.values()) > 0, c
