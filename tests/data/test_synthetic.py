"""The generated helmet set: deterministic, valid labels, the expected layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mineguard.data.datasets.yolo import load_data_yaml, validate_dataset
from mineguard.data.synthetic import generate_helmet_dataset, render_helmet_scene


def test_generated_set_is_valid_and_deterministic(tmp_path: Path) -> None:
    a = generate_helmet_dataset(tmp_path / "a", n_train=6, n_val=2, n_test=2, img_size=96, seed=3)
    generate_helmet_dataset(tmp_path / "b", n_train=6, n_val=2, n_test=2, img_size=96, seed=3)
    spec = load_data_yaml(a)
    assert spec.names == ("helmet", "no_helmet")
    assert {k: len(v) for k, v in spec.splits.items()} == {"train": 6, "val": 2, "test": 2}
    report = validate_dataset(spec)
    assert report.ok, report.format()
    assert sum(report.splits["train"].instances) >= 6
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    c = generate_helmet_dataset(tmp_path / "c", n_train=6, n_val=0, n_test=0, img_size=96, seed=4)
    assert list(load_data_yaml(c).splits) == ["train"]
    assert (tmp_path / "c/train/labels/train_00000.txt").read_text() != (
        tmp_path / "a/train/labels/train_00000.txt"
    ).read_text()


def test_scene_heads_are_large_and_inside() -> None:
    classes = []
    for i in range(40):
        image, boxes, class_ids = render_helmet_scene(np.random.default_rng(i), 160)
        assert image.shape == (160, 160, 3) and image.dtype == np.uint8
        assert 1 <= len(boxes) <= 4 and len(boxes) == len(class_ids)
        wh = boxes[:, 2:] - boxes[:, :2]
        assert (wh >= 10).all() and (wh <= 45).all()
        assert (boxes >= 0).all() and (boxes <= 160).all()
        classes += class_ids.tolist()
    assert 0.3 < np.mean(classes) < 0.7  # both classes common
