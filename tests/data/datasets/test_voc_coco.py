"""VOC and COCO import on tiny hand-made files: known YOLO lines, clear errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mineguard.data.datasets.coco import import_coco
from mineguard.data.datasets.voc import import_voc
from mineguard.data.datasets.yolo import load_data_yaml, validate_dataset
from mineguard.data.errors import DatasetError

VOC_XML = """<annotation>
  <filename>{filename}</filename>
  <size><width>200</width><height>100</height><depth>3</depth></size>
  <object><name>helmet</name><bndbox><xmin>20</xmin><ymin>10</ymin><xmax>60</xmax><ymax>50</ymax></bndbox></object>
  <object><name>head</name><bndbox><xmin>100</xmin><ymin>0</ymin><xmax>200</xmax><ymax>100</ymax></bndbox></object>
</annotation>
"""


def _images(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.new("RGB", (200, 100)).save(folder / name)
    return folder


def _voc(root: Path) -> tuple[Path, Path]:
    images = _images(root / "JPEGImages", "a.jpg", "b.jpg")
    xml_dir = root / "Annotations"
    xml_dir.mkdir()
    (xml_dir / "a.xml").write_text(VOC_XML.format(filename="a.jpg"))
    (xml_dir / "b.xml").write_text(
        "<annotation><filename>b.jpg</filename><size><width>0</width><height>0</height></size></annotation>"
    )
    return xml_dir, images


def test_voc_import_known_lines(tmp_path: Path) -> None:
    xml_dir, images = _voc(tmp_path)
    yaml_path = import_voc(xml_dir, images, tmp_path / "out")
    spec = load_data_yaml(yaml_path)
    assert spec.names == ("head", "helmet")  # sorted when names are not given
    assert (tmp_path / "out/labels/a.txt").read_text().splitlines() == [
        "1 0.200000 0.300000 0.200000 0.400000",
        "0 0.750000 0.500000 0.500000 1.000000",
    ]
    assert (tmp_path / "out/labels/b.txt").read_text() == ""  # no objects: empty file
    link = tmp_path / "out/images/a.jpg"
    assert link.is_symlink() and link.resolve() == (images / "a.jpg").resolve()
    assert validate_dataset(spec).ok


def test_voc_import_with_names_and_copy(tmp_path: Path) -> None:
    xml_dir, images = _voc(tmp_path)
    import_voc(xml_dir, images, tmp_path / "out", names=["helmet", "head"], copy=True)
    assert not (tmp_path / "out/images/a.jpg").is_symlink()
    assert (tmp_path / "out/labels/a.txt").read_text().startswith("0 0.200000")
    with pytest.raises(DatasetError, match=r"a\.xml: <object><name> 'head' is not in names"):
        import_voc(xml_dir, images, tmp_path / "out2", names=["helmet"])


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<annotation><filename>a.jpg</filename><object><name>x</name></object></annotation>", "has no <bndbox>"),
        ("<annotation><filename>a.jpg</filename><object><bndbox/></object></annotation>", "has no <name>"),
        (
            "<annotation><filename>a.jpg</filename><object><name>x</name><bndbox><xmin>a</xmin></bndbox>"
            "</object></annotation>",
            "<object> #1 <bndbox><xmin> is 'a' — expected a number",
        ),
        ("<annotation><filename>zz.jpg</filename></annotation>", "<filename> 'zz.jpg' not found"),
        ("<annotation>", "not valid XML"),
    ],
)
def test_voc_errors_name_file_and_element(tmp_path: Path, xml: str, expected: str) -> None:
    images = _images(tmp_path / "img", "a.jpg")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "q.xml").write_text(xml)
    with pytest.raises(DatasetError) as info:
        import_voc(tmp_path / "ann", images, tmp_path / "out")
    assert "q.xml" in str(info.value) and expected in str(info.value)


def _coco(root: Path) -> Path:
    _images(root / "images" / "sub", "x.jpg")
    _images(root / "images", "y.jpg")
    data = {
        "images": [
            {"id": 7, "file_name": "sub/x.jpg", "width": 200, "height": 100},
            {"id": 8, "file_name": "y.jpg"},  # no size: read from the image
        ],
        "categories": [{"id": 5, "name": "no_helmet"}, {"id": 2, "name": "helmet"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 2, "bbox": [20, 10, 40, 40], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 5, "bbox": [100, 0, 100, 100]},
            {"id": 3, "image_id": 7, "category_id": 5, "bbox": [0, 0, 50, 50], "iscrowd": 1},
            {"id": 4, "image_id": 8, "category_id": 5, "bbox": [190, 90, 20, 20]},
            {"id": 5, "image_id": 8, "category_id": 5, "bbox": [10, 10, 0, 5]},
        ],
    }
    path = root / "instances.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_import_known_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    json_path = _coco(tmp_path)
    with caplog.at_level("INFO"):
        yaml_path = import_coco(json_path, tmp_path / "images", tmp_path / "out")
    assert "1 crowd and 1 zero-size annotations skipped" in caplog.text
    spec = load_data_yaml(yaml_path)
    assert spec.names == ("no_helmet", "helmet")  # category order, ids renumbered 0, 1
    assert (tmp_path / "out/labels/sub_x.txt").read_text().splitlines() == [
        "1 0.200000 0.300000 0.200000 0.400000",
        "0 0.750000 0.500000 0.500000 1.000000",
    ]
    # [190, 90, 20, 20] is clipped to the image: x 190..200, y 90..100
    assert (tmp_path / "out/labels/y.txt").read_text() == "0 0.975000 0.950000 0.050000 0.100000\n"
    assert validate_dataset(spec).ok


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("categories"), "'categories' missing"),
        (lambda d: d["annotations"][0].update(image_id=99), "annotation id 1 refers to image_id 99"),
        (lambda d: d["annotations"][0].update(category_id=9), "category_id 9 not in 'categories'"),
        (lambda d: d["annotations"][0].update(bbox=[1, 2]), "'bbox' is [1, 2]"),
        (lambda d: d["images"][1].update(file_name="gone.jpg"), "1 images not found"),
    ],
)
def test_coco_errors(tmp_path: Path, change: Callable[[dict[str, Any]], object], expected: str) -> None:
    json_path = _coco(tmp_path)
    data = json.loads(json_path.read_text())
    change(data)
    json_path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=r"instances\.json") as info:
        import_coco(json_path, tmp_path / "images", tmp_path / "out")
    assert expected in str(info.value)


def test_coco_bad_json(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        import_coco(tmp_path / "a.json", tmp_path, tmp_path / "out")
