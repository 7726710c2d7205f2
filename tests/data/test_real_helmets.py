"""The project's real helmet data (``../shared/data/helmets``); skipped when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from mineguard.data.datasets.yolo import load_data_yaml, validate_dataset
from mineguard.data.remap import HELMET_NAMES, helmet_sources, merge_sources


@pytest.fixture(scope="module")
def helmets(shared_data: Path) -> Path:
    return shared_data / "helmets"


def test_roboflow_v3_loads_despite_relative_path_quirk(helmets: Path) -> None:
    spec = load_data_yaml(helmets / "roboflow_v3" / "data.yaml")  # says train: ../train/images
    assert spec.names == ("helmet", "nohelmet")
    assert {k: len(v) for k, v in spec.splits.items()} == {"train": 258, "val": 64, "test": 37}


def test_shwd_dev_validates(helmets: Path) -> None:
    report = validate_dataset(load_data_yaml(helmets / "shwd_dev" / "data.yaml"))
    assert report.names == ("helmet", "no_helmet", "no_wear", "wear")
    assert list(report.splits) == ["all"]
    assert report.splits["all"].images == 450
    assert report.skipped == []
    assert all(n > 0 for n in report.splits["all"].instances)


def test_merge_helmets(helmets: Path, tmp_path: Path) -> None:
    summary = merge_sources(helmet_sources(helmets), HELMET_NAMES, tmp_path / "merged", seed=0)
    spec = load_data_yaml(summary.data_yaml)
    assert spec.names == ("helmet", "no_helmet")
    counts = {k: len(v) for k, v in spec.splits.items()}
    assert sum(counts.values()) == 258 + 64 + 37 + 450
    shwd = summary.per_source["shwd_dev"]
    assert summary.per_source["roboflow_v3"] == {"train": 258, "val": 64, "test": 37}
    # 450 images split 65/15/20 -> 292.5 / 67.5 / 90, within one image
    assert abs(shwd["train"] - 292.5) <= 1 and abs(shwd["val"] - 67.5) <= 1 and abs(shwd["test"] - 90) <= 1
    assert counts == {"train": 258 + shwd["train"], "val": 64 + shwd["val"], "test": 37 + shwd["test"]}
    assert set(summary.dropped["shwd_dev"]) == {"no_wear", "wear"} and summary.dropped["roboflow_v3"] == {}
    for split in ("train", "val", "test"):
        assert all(n > 0 for n in summary.instances[split])  # both classes in every split
    assert all(p.is_symlink() for p in (tmp_path / "merged" / "test" / "images").iterdir())
