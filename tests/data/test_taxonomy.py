"""The hazard taxonomy file: the shipped one is sound; every bad file gets an error naming the entry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mineguard.data.errors import DatasetError
from mineguard.data.taxonomy import load_taxonomy, taxonomy_path


def test_shipped_taxonomy_has_the_papers_eleven_classes_in_three_groups() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.names) == 11
    assert [(g.name, g.code) for g in taxonomy.groups] == [("natural", "ZR"), ("technical", "JS"), ("management", "GL")]
    assert sorted(c for g in taxonomy.groups for c in g.classes) == sorted(taxonomy.names)
    assert taxonomy.group_of("mine_fire_source").code == "ZR"
    assert taxonomy.group_of("miner_equipment_and_behavior").code == "GL"
    assert {s.name for s in taxonomy.sources} == {"fire8", "quaywall_cracks", "landslide", "helmets_rf", "helmets_shwd"}
    mapped = {t for s in taxonomy.sources for t in s.mapping.values() if t is not None}
    assert mapped == {"crack", "mine_fire_source", "sidewall_collapse", "miner_equipment_and_behavior"}
    assert all(c.description for c in taxonomy.classes)


def _raw() -> dict[str, Any]:
    return yaml.safe_load(taxonomy_path().read_text(encoding="utf-8"))


def _class_in_two_groups(raw: dict[str, Any]) -> None:
    raw["groups"][1]["classes"].append("crack")


def _duplicate_class(raw: dict[str, Any]) -> None:
    raw["classes"].append(dict(raw["classes"][0]))


def _empty_group(raw: dict[str, Any]) -> None:
    raw["groups"].append({"name": "seismic", "code": "DZ", "title": "Seismic", "classes": []})


def _unknown_class(raw: dict[str, Any]) -> None:
    raw["groups"][0]["classes"].append("gas_outburst")


def _class_in_no_group(raw: dict[str, Any]) -> None:
    raw["groups"][1]["classes"].remove("damage")


def _mapping_onto_unknown(raw: dict[str, Any]) -> None:
    raw["sources"][0]["mapping"]["Fire"] = "fire"


def _mapping_of_unknown_source_class(raw: dict[str, Any]) -> None:
    raw["sources"][0]["mapping"]["flame"] = "mine_fire_source"


def _unmapped_source_class(raw: dict[str, Any]) -> None:
    del raw["sources"][0]["mapping"]["default"]


def _unknown_key(raw: dict[str, Any]) -> None:
    raw["classes"][0]["colour"] = "red"


def _both_yaml_and_inline(raw: dict[str, Any]) -> None:
    raw["sources"][0]["data_yaml"] = "data.yaml"


BAD: list[tuple[Callable[[dict[str, Any]], None], str]] = [
    (_class_in_two_groups, r"groups\[1\] 'technical' lists class 'crack', which group 'natural' already lists"),
    (_duplicate_class, r"class 'crack' is defined twice"),
    (_empty_group, r"groups\[3\] 'seismic' has no classes"),
    (_unknown_class, r"groups\[0\] 'natural' lists unknown class 'gas_outburst'"),
    (_class_in_no_group, r"classes \['damage'\] are in no group"),
    (_mapping_onto_unknown, r"sources\[0\] 'fire8': mapping 'Fire' -> 'fire', but 'fire' is not a class"),
    (_mapping_of_unknown_source_class, r"sources\[0\] 'fire8': mapping names \['flame'\]"),
    (_unmapped_source_class, r"sources\[0\] 'fire8': classes \['default'\] have no mapping"),
    (_unknown_key, r"classes\.0\.colour: Extra inputs are not permitted"),
    (_both_yaml_and_inline, r"sources\[0\] 'fire8': give either 'data_yaml' or both 'names' and 'images'"),
]


@pytest.mark.parametrize(("change", "expected"), BAD, ids=[c.__name__.strip("_") for c, _ in BAD])
def test_bad_taxonomy_names_file_and_entry(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    raw = _raw()
    change(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(DatasetError, match=expected) as info:
        load_taxonomy(path)
    assert str(path) in str(info.value)


def test_key_given_twice_and_missing_file(tmp_path: Path) -> None:
    text = taxonomy_path().read_text(encoding="utf-8")
    path = tmp_path / "twice.yaml"
    path.write_text(text.replace("name: coal_mine_hazards\n", "name: coal_mine_hazards\nname: again\n"))
    with pytest.raises(DatasetError, match=r"twice.yaml: not valid YAML .*key 'name' given twice"):
        load_taxonomy(path)
    with pytest.raises(DatasetError, match="taxonomy file not found"):
        load_taxonomy(tmp_path / "none.yaml")
