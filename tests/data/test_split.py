"""Stratified splits and k-fold: fractions, determinism, disjointness, stratification, file output."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from mineguard.data.datasets.yolo import load_data_yaml
from mineguard.data.errors import DatasetError
from mineguard.data.split import kfold_splits, stratified_split, write_kfold, write_split


def _balanced(n_per_class: int = 20, num_classes: int = 3, n_background: int = 10) -> list[tuple[int, set[int]]]:
    items = [(c * n_per_class + i, {c}) for c in range(num_classes) for i in range(n_per_class)]
    items += [(1000 + i, set()) for i in range(n_background)]
    return items


def test_split_fractions_disjoint_and_covering() -> None:
    items = _balanced()
    parts = stratified_split(items, (0.65, 0.15, 0.2), seed=0)
    sizes = {k: len(v) for k, v in parts.items()}
    assert sizes == {"train": 46, "val": 10, "test": 14}  # 70 items: 45.5, 10.5, 14
    keys = [k for v in parts.values() for k in v]
    assert sorted(keys) == sorted(k for k, _ in items)


def test_split_is_deterministic_and_seed_dependent() -> None:
    items = _balanced()
    assert stratified_split(items, seed=3) == stratified_split(items, seed=3)
    assert stratified_split(items, seed=3) != stratified_split(items, seed=4)


def test_split_stratifies_every_class_into_every_split() -> None:
    items = _balanced(n_per_class=10)
    parts = stratified_split(items, seed=1)
    classes = dict(items)
    for keys in parts.values():
        present = set().union(*(classes[k] for k in keys))
        assert present == {0, 1, 2}
        assert any(not classes[k] for k in keys)  # background in every split too


def test_rare_class_reaches_every_split() -> None:
    items = [(i, {0}) for i in range(50)] + [(100 + i, {0, 1}) for i in range(3)]
    parts = stratified_split(items, seed=0)
    for keys in parts.values():
        assert any(k >= 100 for k in keys)


def test_small_sets_keep_every_split_non_empty() -> None:
    items = [(i, {i}) for i in range(3)]  # three strata of one image each
    parts = stratified_split(items, seed=0)
    assert all(len(v) == 1 for v in parts.values())
    assert stratified_split([], seed=0) == {"train": [], "val": [], "test": []}


def test_two_fractions_and_bad_fractions() -> None:
    parts = stratified_split(_balanced(), (0.8, 0.2))
    assert set(parts) == {"train", "val"} and len(parts["val"]) == 14
    with pytest.raises(DatasetError, match="sum to 1"):
        stratified_split(_balanced(), (0.5, 0.2, 0.2))
    with pytest.raises(DatasetError, match="give 2"):
        stratified_split(_balanced(), (1.0,))


def test_kfold_disjoint_covering_balanced() -> None:
    items = _balanced(n_per_class=10)
    folds = kfold_splits(items, k=5, seed=0)
    assert len(folds) == 5
    all_keys = sorted(k for k, _ in items)
    vals = [v for _, v in folds]
    assert sorted(k for v in vals for k in v) == all_keys  # disjoint and covering
    for train, val in folds:
        assert sorted(train + val) == all_keys and not set(train) & set(val)
        assert len(val) == 8
        present = set().union(*(dict(items)[k] for k in val))
        assert present == {0, 1, 2}
    assert kfold_splits(items, k=5, seed=0) == folds
    with pytest.raises(DatasetError, match="lower k"):
        kfold_splits(items[:3], k=5)


def _flat_set(root: Path, n: int = 20) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for i in range(n):
        Image.new("RGB", (8, 8)).save(root / "images" / f"{i:02d}.png")
        (root / "labels" / f"{i:02d}.txt").write_text(f"{i % 2} 0.5 0.5 0.5 0.5\n" if i % 5 else "")
    (root / "data.yaml").write_text("names: [a, b]\n")
    return root / "data.yaml"


def test_write_split_lists_and_yaml(tmp_path: Path) -> None:
    _flat_set(tmp_path / "set")
    yaml_path = write_split(tmp_path / "set" / "images", tmp_path / "out", (0.6, 0.2, 0.2), seed=0)
    spec = load_data_yaml(yaml_path)
    assert spec.names == ("a", "b")
    assert {k: len(v) for k, v in spec.splits.items()} == {"train": 12, "val": 4, "test": 4}
    assert all(p.parent == tmp_path / "set" / "images" for p in spec.all_images())
    assert len(spec.all_images()) == 20
    # the same split again from the data.yaml of the flat set
    again = load_data_yaml(write_split(tmp_path / "set" / "data.yaml", tmp_path / "out2", (0.6, 0.2, 0.2)))
    assert again.splits == spec.splits


def test_write_split_needs_names(tmp_path: Path) -> None:
    _flat_set(tmp_path / "set")
    (tmp_path / "set" / "data.yaml").unlink()
    with pytest.raises(DatasetError, match="--names"):
        write_split(tmp_path / "set" / "images", tmp_path / "out")
    assert write_split(tmp_path / "set" / "images", tmp_path / "out", names=["a", "b"]).is_file()


def test_write_kfold(tmp_path: Path) -> None:
    _flat_set(tmp_path / "set")
    paths = write_kfold(tmp_path / "set" / "data.yaml", tmp_path / "cv", k=4)
    assert [p.parent.name for p in paths] == ["fold_0", "fold_1", "fold_2", "fold_3"]
    vals = [set(load_data_yaml(p).splits["val"]) for p in paths]
    assert sum(len(v) for v in vals) == 20 and len(set().union(*vals)) == 20


def test_image_groups_by_name_and_by_frame_runs() -> None:
    from mineguard.data.split import image_groups

    tiles = image_groups(["P1_0_1.jpg", "P1_3_4.jpg", "P2_0_0.jpg", "odd.jpg"], r"^(.*?)_\d+_\d+\.")
    assert tiles[0] == tiles[1] != tiles[2] and tiles[3] == "odd.jpg"
    frames = ["a_f1.jpg", "a_f3.jpg", "a_f9.jpg", "b_f2.jpg"]
    runs = image_groups(frames, r"^(?:.+?)_f(?P<frame>\d+)", frame_gap=2)
    assert runs[0] == runs[1] and len(set(runs)) == 3  # a 1-3 one run; a 9 starts another; b apart
    assert image_groups(frames, None) == frames
    with pytest.raises(DatasetError, match=r"cam: group_pattern '\(' is not a regular expression"):
        image_groups(frames, "(", "cam")


def test_grouped_split_keeps_groups_whole_and_sizes_in_images() -> None:
    from mineguard.data.split import grouped_split

    items = [(i, {i % 2}) for i in range(100)]
    groups = [i // 5 for i in range(100)]  # 20 groups of 5
    parts = grouped_split(items, groups, (0.6, 0.2, 0.2), seed=0)
    assert sorted(k for keys in parts.values() for k in keys) == list(range(100))
    assert {s: len(k) for s, k in parts.items()} == {"train": 60, "val": 20, "test": 20}
    side = {k // 5: s for s, keys in parts.items() for k in keys}
    assert all(side[k // 5] == s for s, keys in parts.items() for k in keys)


def test_subsample_groups_whole_groups_in_proportion() -> None:
    from mineguard.data.split import subsample_groups

    groups = ["a", "a", "b", "c", "d", "e"]
    kept = subsample_groups(groups, 3, seed=0)
    assert len(kept) <= 3 and not ({0, 1} & set(kept) and {0, 1} - set(kept))
    assert subsample_groups(groups, 10) == list(range(6))
    strata = ["train"] * 4 + ["val"] * 2
    kept = subsample_groups(["g0", "g1", "g2", "g3", "g4", "g5"], 3, strata=strata)
    assert [strata[i] for i in kept].count("train") == 2 and [strata[i] for i in kept].count("val") == 1
