"""data.yaml loading, label reading and validation on small hand-made folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mineguard.data.datasets.labels import MISSING_LABEL_MESSAGE
from mineguard.data.datasets.yolo import (
    label_path_for,
    load_data_yaml,
    read_yolo_labels,
    validate_dataset,
)
from mineguard.data.errors import DatasetError


def _image(path: Path, size: tuple[int, int] = (100, 50)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 90, 90)).save(path)
    return path


def _label(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_label_path_for_replaces_last_images_folder() -> None:
    assert label_path_for(Path("/d/images/train/images/a.jpg")) == Path("/d/images/train/labels/a.txt")
    assert label_path_for(Path("/d/a.png")) == Path("/d/a.txt")


def test_read_labels_known_answer_and_polygon(tmp_path: Path) -> None:
    path = _label(tmp_path / "a.txt", "0 0.5 0.5 0.2 0.4\n\n1 0.1 0.2 0.3 0.2 0.2 0.6\n")
    boxes, ids, issues = read_yolo_labels(path, (100, 50), 2)
    assert issues == []
    np.testing.assert_allclose(boxes, [[40, 15, 60, 35], [10, 10, 30, 30]], atol=1e-4)
    assert boxes.dtype == np.float32 and ids.dtype == np.int64
    assert ids.tolist() == [0, 1]


def test_read_labels_clips_tiny_excess(tmp_path: Path) -> None:
    path = _label(tmp_path / "a.txt", "0 0.5 0.5 1.0005 0.5\n")
    boxes, _, issues = read_yolo_labels(path, (100, 100), 1)
    assert issues == []
    np.testing.assert_allclose(boxes, [[0, 25, 100, 75]], atol=1e-4)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0 0.5 0.5 0.2", "expected 5 values"),
        ("0 0.5 0.5 0.2 0.2 0.1", "expected 5 values"),
        ("0 0.5 abc 0.2 0.2", "non-numeric"),
        ("3 0.5 0.5 0.2 0.2", "class id 3 out of range"),
        ("-1 0.5 0.5 0.2 0.2", "out of range"),
        ("0 0.95 0.5 0.2 0.2", "box outside the image"),
        ("0 50 40 20 20", "box outside the image"),
        ("0 0.5 0.5 0 0.2", "zero-size box"),
        ("0 0.5 0.5 -0.1 0.2", "negative box size"),
    ],
)
def test_read_labels_reports_bad_line(tmp_path: Path, line: str, expected: str) -> None:
    path = _label(tmp_path / "a.txt", f"0 0.5 0.5 0.1 0.1\n{line}\n")
    boxes, ids, issues = read_yolo_labels(path, (100, 100), 2)
    assert len(boxes) == 1 and ids.tolist() == [0]  # the good line survives
    assert len(issues) == 1
    assert issues[0].line == 2 and issues[0].path == path
    assert expected in issues[0].message
    assert str(issues[0]).startswith(f"{path}:2: ")


def test_missing_label_file_is_background_with_issue(tmp_path: Path) -> None:
    boxes, ids, issues = read_yolo_labels(tmp_path / "none.txt", (10, 10), 2)
    assert boxes.shape == (0, 4) and ids.shape == (0,)
    assert [i.message for i in issues] == [MISSING_LABEL_MESSAGE]
    assert issues[0].line is None


def make_broken_set(root: Path) -> Path:
    """A flat-split YOLO set with one of each label problem and a corrupt image."""
    images, labels = root / "train" / "images", root / "train" / "labels"
    _image(images / "good.jpg")
    _label(labels / "good.txt", "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n")
    _image(images / "nolabel.jpg")
    _image(images / "badclass.jpg")
    _label(labels / "badclass.txt", "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n")
    _image(images / "outside.jpg")
    _label(labels / "outside.txt", "1 1.2 0.5 0.2 0.2\n")
    _image(images / "fields.jpg")
    _label(labels / "fields.txt", "0 0.5 0.5\n")
    _image(images / "text.jpg")
    _label(labels / "text.txt", "0 0.5 0.5 0.2 0.2\nhelmet 0.5 0.5 0.2 0.2\n")
    _image(images / "empty.jpg")
    _label(labels / "empty.txt", "")
    (images / "corrupt.jpg").write_bytes(b"\x00garbage, not a jpeg" * 10)
    _label(labels / "corrupt.txt", "0 0.5 0.5 0.2 0.2\n")
    return _label(root / "data.yaml", "train: train/images\nval: train/images\nnames: [helmet, no_helmet]\n")


def test_validate_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    spec = load_data_yaml(make_broken_set(tmp_path))
    report = validate_dataset(spec)
    where = {(p.path.name, p.line) for p in report.issues if "both" not in p.message}
    assert where == {
        ("nolabel.txt", None),
        ("badclass.txt", 2),
        ("outside.txt", 1),
        ("fields.txt", 1),
        ("text.txt", 2),
    }  # val is the same folder: each issue twice, the same set
    assert [s.path.name for s in report.skipped] == ["corrupt.jpg", "corrupt.jpg"]
    train = report.splits["train"]
    assert train.images == 7  # corrupt.jpg left out
    assert train.instances == [3, 1]  # good (one each), badclass and text keep line 1
    assert train.background == 4  # nolabel, outside, fields, empty
    assert any("in both 'train' and 'val'" in i.message for i in report.issues)
    text = report.format()
    assert "badclass.txt:2: class id 7 out of range" in text
    assert "corrupt.jpg" in text and not report.ok


def test_roboflow_relative_paths_and_names_dict(tmp_path: Path) -> None:
    _image(tmp_path / "ds" / "train" / "images" / "a.jpg")
    _image(tmp_path / "ds" / "valid" / "images" / "b.jpg")
    yaml_path = _label(
        tmp_path / "ds" / "data.yaml",
        "train: ../train/images\nvalid: ../valid/images\ntest:\nnames: {0: helmet, 1: nohelmet}\nnc: 2\n",
    )
    spec = load_data_yaml(yaml_path)
    assert spec.names == ("helmet", "nohelmet")
    assert {k: [p.name for p in v] for k, v in spec.splits.items()} == {"train": ["a.jpg"], "val": ["b.jpg"]}


def test_list_file_split_and_path_key(tmp_path: Path) -> None:
    a = _image(tmp_path / "set" / "images" / "a.jpg")
    _image(tmp_path / "set" / "images" / "b.jpg")
    _label(tmp_path / "set" / "train.txt", "images/a.jpg\n\n" + str(tmp_path / "set/images/b.jpg") + "\n")
    yaml_path = _label(tmp_path / "cfg" / "data.yaml", "path: ../set\ntrain: [train.txt, images/a.jpg]\nnames: [x]\n")
    spec = load_data_yaml(yaml_path)
    assert [p.name for p in spec.splits["train"]] == ["a.jpg", "b.jpg", "a.jpg"]
    assert spec.splits["train"][0] == a
    assert spec.all_images() == spec.splits["train"][:2]


def test_flat_yaml_without_splits_is_split_all(tmp_path: Path) -> None:
    _image(tmp_path / "images" / "a.jpg")
    spec = load_data_yaml(_label(tmp_path / "data.yaml", "names: [a, b]\n"))
    assert list(spec.splits) == ["all"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("train: images\nnc: 2\n", "'names' missing — list the class names"),
        ("train: images\nnc: 3\nnames: [a, b]\n", "'nc' is 3 but 'names' lists 2 classes"),
        ("train: nowhere/images\nnames: [a]\n", "'train' path 'nowhere/images' not found"),
        ("train: ../nowhere/images\nnames: [a]\n", "fix 'train' in data.yaml"),
        ("train: images\nnames: {0: a, 2: b}\n", "'names' ids must run 0..1"),
        ("train: images\nnames: [a, a]\n", "'names' repeats ['a']"),
        ("train: empty\nnames: [a]\n", "'train' folder"),
        ("train: list.txt\nnames: [a]\n", "line 1: image 'gone.jpg' not found"),
        ("- just a list\n", "expected a mapping"),
        ("train: [unclosed\n", "not valid YAML"),
        ("names: [a]\n", "no 'train'/'val'/'test' keys and no images/ folder"),
    ],
)
def test_data_yaml_errors_name_key_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    _image(tmp_path / "images" / "a.jpg")
    (tmp_path / "empty").mkdir()
    _label(tmp_path / "list.txt", "gone.jpg\n")
    yaml_path = _label(tmp_path / "data.yaml", text)
    if text == "names: [a]\n":
        (tmp_path / "images" / "a.jpg").unlink()
        (tmp_path / "images").rmdir()
    with pytest.raises(DatasetError, match=r"data\.yaml|list\.txt") as info:
        load_data_yaml(yaml_path)
    assert expected in str(info.value)


def test_missing_yaml_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"data\.yaml not found"):
        load_data_yaml(tmp_path / "data.yaml")


def test_missing_split_accessor_names_available(tmp_path: Path) -> None:
    _image(tmp_path / "images" / "a.jpg")
    spec = load_data_yaml(_label(tmp_path / "data.yaml", "train: images\nnames: [a]\n"))
    with pytest.raises(DatasetError, match=r"no 'val' split — the data set has \['train'\]"):
        spec.images("val")
