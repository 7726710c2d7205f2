"""Class maps and merging: renames, drops, counts, file naming, originals untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mineguard.data.datasets.yolo import load_data_yaml, validate_dataset
from mineguard.data.errors import DatasetError
from mineguard.data.remap import HELMET_NAMES, ClassMap, SourceSpec, merge_sources


def test_class_map_table() -> None:
    cmap = ClassMap({"nohelmet": "no_helmet", "wear": None}, ["helmet", "no_helmet"])
    assert cmap.table(["helmet", "nohelmet", "wear"]).tolist() == [0, 1, -1]
    with pytest.raises(DatasetError, match="class 'person' has no mapping"):
        cmap.table(["helmet", "nohelmet", "wear", "person"])
    with pytest.raises(DatasetError, match=r"class map names \['wear'\]"):
        cmap.table(["helmet", "nohelmet"])
    with pytest.raises(DatasetError, match="'hat' is not a target class"):
        ClassMap({"cap": "hat"}, ["helmet"])


def _source(root: Path, names: list[str], labels: dict[str, str], splits: bool) -> Path:
    for rel, text in labels.items():
        image = root / rel
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 20)).save(image)
        label = image.parent.parent / "labels" / f"{image.stem}.txt"
        label.parent.mkdir(parents=True, exist_ok=True)
        label.write_text(text)
    present = sorted({rel.split("/")[0] for rel in labels})
    keys = "".join(f"{split}: {split}/images\n" for split in present) if splits else ""
    (root / "data.yaml").write_text(f"{keys}names: {names}\n")
    return root / "data.yaml"


def test_merge_remaps_drops_and_counts(tmp_path: Path) -> None:
    rf = _source(
        tmp_path / "rf",
        ["helmet", "nohelmet"],
        {
            "train/images/a.jpg": "0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1\n",
            "valid/images/b.jpg": "1 0.5 0.5 0.2 0.2\n",
            "test/images/a.jpg": "0 0.1 0.2 0.3 0.2 0.2 0.6\n",  # polygon, same file name as train
        },
        splits=True,
    )
    labels = {
        f"images/s{i:02d}.jpg": f"{i % 2} 0.5 0.5 0.2 0.2\n2 0.3 0.3 0.1 0.1\n3 0.6 0.6 0.1 0.1\n" for i in range(20)
    }
    labels["images/a.jpg"] = "3 0.5 0.5 0.2 0.2\n"  # only a dropped class: becomes background
    shwd = _source(tmp_path / "shwd", ["helmet", "no_helmet", "no_wear", "wear"], labels, splits=False)
    before = (tmp_path / "rf/train/labels/a.txt").read_text()
    sources = [
        SourceSpec("rf", rf, {"nohelmet": "no_helmet"}, keep_splits=True),
        SourceSpec("shwd", shwd, {"no_wear": None, "wear": None}),
    ]
    summary = merge_sources(sources, HELMET_NAMES, tmp_path / "out", (0.6, 0.2, 0.2), seed=0)
    assert summary.per_source == {"rf": {"train": 1, "val": 1, "test": 1}, "shwd": {"train": 13, "val": 4, "test": 4}}
    assert summary.images == {"train": 14, "val": 5, "test": 5}
    assert summary.dropped == {"rf": {}, "shwd": {"no_wear": 20, "wear": 21}}
    assert sum(map(sum, summary.instances.values())) == 4 + 20  # rf: 2 + 1 + 1, shwd: one head per image
    spec = load_data_yaml(summary.data_yaml)
    assert spec.names == ("helmet", "no_helmet")
    assert {k: len(v) for k, v in spec.splits.items()} == {"train": 14, "val": 5, "test": 5}
    assert (tmp_path / "out/train/labels/rf_a.txt").read_text().splitlines() == [
        "0 0.500000 0.500000 0.200000 0.200000",
        "1 0.200000 0.200000 0.100000 0.100000",  # nohelmet -> no_helmet keeps id 1
    ]
    assert (tmp_path / "out/val/labels/rf_b.txt").read_text().startswith("1 ")
    assert (tmp_path / "out/test/labels/rf_a.txt").read_text() == "0 0.200000 0.400000 0.200000 0.400000\n"
    shwd_a = next((tmp_path / "out").glob("*/labels/shwd_a.txt"))
    assert shwd_a.read_text() == ""
    assert (tmp_path / "out/train/images/rf_a.jpg").is_symlink()
    assert (tmp_path / "rf/train/labels/a.txt").read_text() == before  # originals untouched
    assert validate_dataset(spec).ok
    assert "dropped from shwd: 20 no_wear, 21 wear" in summary.format()


def test_merge_refuses_existing_output_and_overlap(tmp_path: Path) -> None:
    rf = _source(tmp_path / "rf", ["helmet"], {"train/images/a.jpg": "0 0.5 0.5 0.2 0.2\n"}, splits=True)
    sources = [SourceSpec("rf", rf, keep_splits=True)]
    out = merge_sources(sources, ["helmet"], tmp_path / "out").data_yaml
    with pytest.raises(DatasetError, match="already exists — choose a new output folder or pass overwrite"):
        merge_sources(sources, ["helmet"], tmp_path / "out")
    assert merge_sources(sources, ["helmet"], tmp_path / "out", overwrite=True).data_yaml == out
    with pytest.raises(DatasetError, match="overlaps the source"):
        merge_sources(sources, ["helmet"], tmp_path / "rf" / "merged")
    with pytest.raises(DatasetError, match="must be unique"):
        merge_sources([*sources, *sources], ["helmet"], tmp_path / "o2")
    flat = _source(tmp_path / "flat", ["helmet"], {"images/a.jpg": ""}, splits=False)
    with pytest.raises(DatasetError, match="set keep_splits=False"):
        merge_sources([SourceSpec("flat", flat, keep_splits=True)], ["helmet"], tmp_path / "o3")
    assert np.all([p.is_symlink() for p in (tmp_path / "out/train/images").iterdir()])
