"""The merged hazard set from YOLO, VOC and COCO sources: known mappings, kept and grouped splits, counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image

from mineguard.data.datasets.coco import import_coco
from mineguard.data.datasets.voc import import_voc
from mineguard.data.datasets.yolo import load_data_yaml
from mineguard.data.errors import DatasetError
from mineguard.data.hazard_set import build_hazard_set, hazard_coverage
from mineguard.data.taxonomy import load_taxonomy

TAXONOMY = """
name: tiny
reference: test
groups:
  - {name: natural, code: ZR, title: Natural, classes: [fire, crack]}
  - {name: management, code: GL, title: Management, classes: [no_helmet, blockage]}
classes:
  - {name: fire, title: Fire, description: flame or smoke}
  - {name: crack, title: Crack, description: a crack}
  - {name: no_helmet, title: No helmet, description: a bare head}
  - {name: blockage, title: Blockage, description: nothing labels this}
sources:
  - name: cam
    path: cam
    licence: test
    names: [Fire, smoke, default]
    images: {train: [v1, v2]}
    mapping: {Fire: fire, smoke: fire, default: null}
    group_pattern: '^(?:.+?)_f(?P<frame>\\d+)'
    frame_gap: 2
  - name: rf
    path: rf
    licence: test
    data_yaml: data.yaml
    keep_splits: true
    mapping: {helmet: null, nohelmet: no_helmet}
  - {name: voc, path: voc_yolo, licence: test, data_yaml: data.yaml, mapping: {crack: crack, stain: null}}
  - {name: coco, path: coco_yolo, licence: test, data_yaml: data.yaml, mapping: {crack: crack}, max_images: 4}
"""


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 20)).save(path)


def _yolo(image: Path, label: Path, text: str) -> None:
    _image(image)
    label.parent.mkdir(parents=True, exist_ok=True)
    label.write_text(text)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root with four sources: a video camera (YOLO, no split), a split YOLO set, VOC and COCO."""
    root = tmp_path_factory.mktemp("root")
    for video in ("v1", "v2"):  # two videos of 6 frames: frames 0-2 and 10-12 are two runs each
        for frame in (0, 1, 2, 10, 11, 12):
            text = "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n" if frame < 10 else "2 0.5 0.5 1 1\n"
            _yolo(root / f"cam/{video}/{video}_f{frame}.jpg", root / f"cam/{video}/{video}_f{frame}.txt", text)
    for split, n in (("train", 3), ("valid", 2), ("test", 1)):
        for i in range(n):
            _yolo(
                root / f"rf/{split}/images/{split}{i}.jpg",
                root / f"rf/{split}/labels/{split}{i}.txt",
                "0 .5 .5 .2 .2\n1 .2 .2 .1 .1\n",
            )
    (root / "rf/data.yaml").write_text(
        "train: ../train/images\nval: ../valid/images\ntest: ../test/images\nnames: [helmet, nohelmet]\n"
    )
    xml = "<annotation><filename>{0}.jpg</filename><size><width>40</width><height>20</height></size>{1}</annotation>"
    box = "<object><name>{0}</name><bndbox><xmin>2</xmin><ymin>2</ymin><xmax>10</xmax><ymax>10</ymax></bndbox></object>"
    for i in range(6):
        _image(root / f"voc/JPEGImages/w{i}.jpg")
        (root / "voc/Annotations").mkdir(parents=True, exist_ok=True)
        (root / f"voc/Annotations/w{i}.xml").write_text(xml.format(f"w{i}", box.format("crack") + box.format("stain")))
    import_voc(root / "voc/Annotations", root / "voc/JPEGImages", root / "voc_yolo")
    coco = {"images": [], "annotations": [], "categories": [{"id": 3, "name": "crack"}]}
    for i in range(8):
        _image(root / f"coco/q{i}.jpg")
        coco["images"].append({"id": i, "file_name": f"q{i}.jpg", "width": 40, "height": 20})
        coco["annotations"].append({"id": i, "image_id": i, "category_id": 3, "bbox": [1, 1, 8, 8]})
    (root / "coco/instances.json").write_text(json.dumps(coco))
    import_coco(root / "coco/instances.json", root / "coco", root / "coco_yolo")
    (root / "tiny.yaml").write_text(TAXONOMY)
    return root


@pytest.fixture(scope="module")
def merged(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("merged") / "hazards"
    build_hazard_set(load_taxonomy(sources / "tiny.yaml"), sources, out, seed=1)
    return out / "data.yaml"


def _stems(data_yaml: Path) -> dict[str, set[str]]:
    spec = load_data_yaml(data_yaml)
    return {split: {p.stem for p in paths} for split, paths in spec.splits.items()}


def test_data_yaml_has_taxonomy_names_and_groups(merged: Path) -> None:
    raw = yaml.safe_load(merged.read_text())
    assert raw["names"] == ["fire", "crack", "no_helmet", "blockage"]
    assert raw["groups"] == {"natural": ["fire", "crack"], "management": ["no_helmet", "blockage"]}
    assert raw["taxonomy"] == "tiny"


def test_split_keeps_own_splits_groups_and_no_image_on_two_sides(merged: Path) -> None:
    stems = _stems(merged)
    everything = [s for part in stems.values() for s in part]
    assert len(everything) == len(set(everything)) == 12 + 6 + 6 + 4  # coco capped to 4
    for split, own in (("train", "train"), ("val", "valid"), ("test", "test")):
        assert {s for s in stems[split] if s.startswith("rf_")} == {
            f"rf_{own}{i}" for i in range({"train": 3, "valid": 2, "test": 1}[own])
        }
    for video in ("v1", "v2"):
        for run in ((0, 1, 2), (10, 11, 12)):  # one run of frames, one side of the split
            sides = {split for split, part in stems.items() for f in run if f"cam_{video}_f{f}" in part}
            assert len(sides) == 1


def test_mapping_known_answers_and_coverage(merged: Path, sources: Path) -> None:
    coverage = hazard_coverage(load_taxonomy(sources / "tiny.yaml"), merged)
    total = {c.name: sum(c.boxes.values()) for c in coverage.classes}
    images = {c.name: sum(c.images.values()) for c in coverage.classes}
    # cam: 6 runs-of-3 frames with Fire + smoke -> 12 fire boxes; 'default' frames stay as background
    assert total == {"fire": 12, "crack": 6 + 4, "no_helmet": 6, "blockage": 0}
    assert images == {"fire": 6, "crack": 10, "no_helmet": 6, "blockage": 0}
    assert coverage.missing == ("blockage",)
    assert sum(coverage.images.values()) == 28
    assert coverage.group_boxes()["management"] == {
        s: sum(c.boxes[s] for c in coverage.classes if c.group == "management") for s in coverage.splits
    }
    assert "blockage" in coverage.format() and "no data" in coverage.format()


def test_caps_unknown_sources_and_missing_folders(sources: Path, tmp_path: Path) -> None:
    taxonomy = load_taxonomy(sources / "tiny.yaml")
    summary = build_hazard_set(taxonomy, sources, tmp_path / "a", sources=["rf"], max_images={"rf": 4})
    assert summary.images == {"train": 2, "val": 1, "test": 1}  # the cap is shared in proportion to 3/2/1
    with pytest.raises(DatasetError, match="no source 'nope'"):
        build_hazard_set(taxonomy, sources, tmp_path / "b", max_images={"nope": 1})
    with pytest.raises(DatasetError, match=r"source 'cam': folder .*cam not found — pass the data root"):
        build_hazard_set(taxonomy, tmp_path, tmp_path / "c")


def test_coverage_refuses_another_taxonomys_set(sources: Path, tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "data.yaml").write_text("names: [helmet, no_helmet]\n")
    _image(tmp_path / "images/a.jpg")
    with pytest.raises(DatasetError, match="are not taxonomy 'tiny'"):
        hazard_coverage(load_taxonomy(sources / "tiny.yaml"), tmp_path / "data.yaml")


def test_coverage_gives_box_sides_at_the_network_input(sources: Path, tmp_path: Path) -> None:
    (tmp_path / "data.yaml").write_text(
        "path: .\ntrain: train/images\ntest: test/images\nnames: [fire, crack, no_helmet, blockage]\n"
    )
    # 40x20 images; at a 320 input the scale is 8: a 20x10 px box is 160x80 (side 113.1), 1x2 px is 8x16 (11.3)
    _yolo(tmp_path / "train/images/a.jpg", tmp_path / "train/labels/a.txt", "0 0.5 0.5 0.5 0.5\n2 0.5 0.5 0.025 0.1\n")
    _yolo(tmp_path / "test/images/b.jpg", tmp_path / "test/labels/b.txt", "2 0.5 0.5 0.5 1.0\n")
    taxonomy = load_taxonomy(sources / "tiny.yaml")
    assert hazard_coverage(taxonomy, tmp_path / "data.yaml").classes[0].median_side is None  # not asked: no pixels
    coverage = hazard_coverage(taxonomy, tmp_path / "data.yaml", img_size=320)
    by_name = {c.name: c for c in coverage.classes}
    assert by_name["fire"].median_side["train"] == pytest.approx(113.137, abs=1e-3)
    assert by_name["fire"].small_share == {"train": 0.0, "test": 0.0}
    assert by_name["no_helmet"].median_side == pytest.approx({"train": 11.314, "test": 160.0}, abs=1e-3)
    assert by_name["no_helmet"].small_share == {"train": 1.0, "test": 0.0}
    text = coverage.format()
    assert "median box side at 320 px" in text and "11/1.00" in text and "160/0.00" in text
    (tmp_path / "test/images/b.jpg").write_bytes(b"not an image")
    with pytest.raises(DatasetError, match=r"b\.jpg: .* — fix or remove the image"):
        hazard_coverage(taxonomy, tmp_path / "data.yaml", img_size=320)
