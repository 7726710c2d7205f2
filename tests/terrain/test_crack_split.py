"""``terrain.crack_split``: near-duplicates and file-number blocks never straddle train / val / test
(checked here independently of the module's own groups), the split is stratified and seeded, held-out
patches next to another side's file numbers are dropped, and a straddling group is an error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crack_folders import write_crack_folder
from mineguard.terrain.crack_split import (
    DROPPED,
    CrackSplitConfig,
    check_no_overlap,
    file_number,
    near_duplicate_pairs,
    split_patches,
)
from mineguard.terrain.cracks import CrackFolderConfig, CrackPatches, load_crack_patches
from mineguard.terrain.raster import TerrainDataError

# two copies far apart in number and across classes, and one within a class
DUPLICATES = (("Positive/00003.png", "Negative/00151.png"), ("Negative/00040.png", "Negative/00122.png"))


@pytest.fixture(scope="module")
def patches(tmp_path_factory: pytest.TempPathFactory) -> CrackPatches:
    numbers = {"Positive": list(range(1, 121)), "Negative": list(range(1, 121))}
    root = write_crack_folder(tmp_path_factory.mktemp("cracks"), numbers, side=16, duplicates=DUPLICATES)
    return load_crack_patches(root, CrackFolderConfig(size=16))


def test_file_number_reads_the_last_digits_of_the_stem() -> None:
    assert file_number("Positive/00042.jpg") == 42
    assert file_number("wall3_patch017.png") == 17
    assert file_number("Negative/crack.jpg") is None


def test_near_duplicate_pairs_known_answer() -> None:
    a, b = np.array([1.0, -1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0, -1.0])
    prints = np.stack([a, b, a, 0.9 * a + 0.1 * b]) / np.sqrt(2)
    prints /= np.linalg.norm(prints, axis=1, keepdims=True)
    assert near_duplicate_pairs(prints, 0.99).tolist() == [[0, 2], [0, 3], [2, 3]]
    assert near_duplicate_pairs(prints, 0.99, chunk=1).tolist() == [[0, 2], [0, 3], [2, 3]]
    assert near_duplicate_pairs(prints[:1], 0.9).shape == (0, 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_duplicates_and_number_blocks_never_straddle(patches: CrackPatches, seed: int) -> None:
    config = CrackSplitConfig(seed=seed, sequence_block=10, buffer=1)
    sides = split_patches(patches, config).sides
    kept = sides != DROPPED
    identical = np.argwhere(np.triu(np.all(patches.X[:, None] == patches.X[None], axis=(2, 3, 4)), 1))
    assert {frozenset((patches.names[i], patches.names[j])) for i, j in identical} == set(map(frozenset, DUPLICATES))
    for i, j in identical:
        assert not (kept[i] and kept[j]) or sides[i] == sides[j], (patches.names[i], patches.names[j])
    blocks = np.array([file_number(n) // 10 for n in patches.names])
    for block in np.unique(blocks):
        assert len(np.unique(sides[kept & (blocks == block)])) <= 1, block


def test_held_out_patches_keep_clear_of_training_numbers(patches: CrackPatches) -> None:
    sides = split_patches(patches, CrackSplitConfig(sequence_block=10, buffer=2)).sides
    numbers = np.array([file_number(n) for n in patches.names])
    train = numbers[sides == 0]
    for i in np.flatnonzero(sides > 0):
        assert np.abs(train - numbers[i]).min() > 2, patches.names[i]
    assert (sides == DROPPED).any()


def test_split_is_stratified_seeded_and_covers_every_side(patches: CrackPatches) -> None:
    config = CrackSplitConfig(sequence_block=5, buffer=0)
    split = split_patches(patches, config)
    assert not (split.sides == DROPPED).any()
    fractions = [len(split.index(side)) / len(patches) for side in ("train", "val", "test")]
    np.testing.assert_allclose(fractions, [0.6, 0.2, 0.2], atol=0.05)
    for side in ("train", "val", "test"):
        assert abs(patches.y[split.index(side)].mean() - 0.5) < 0.08, side
    assert np.array_equal(split_patches(patches, config).sides, split.sides)
    other = split_patches(patches, CrackSplitConfig(sequence_block=5, buffer=0, seed=1))
    assert not np.array_equal(other.sides, split.sides)
    summary = split.summary(patches.y)
    assert summary["near_duplicate_pairs"] == 2 and summary["dropped_by_buffer"] == 0


def test_check_no_overlap_raises_on_a_straddling_group() -> None:
    check_no_overlap(np.array([0, 0, 1, 1]), np.array([0, 0, 2, DROPPED]))
    with pytest.raises(TerrainDataError, match=r"group 1 sits on \['train', 'test'\]"):
        check_no_overlap(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 2]))


def test_too_few_groups_is_an_error_that_says_what_to_change(patches: CrackPatches) -> None:
    with pytest.raises(TerrainDataError, match="lower sequence_block"):
        split_patches(patches, CrackSplitConfig(sequence_block=100))


def test_bad_split_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to less than 1"):
        CrackSplitConfig(val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="duplicate_corr"):
        CrackSplitConfig(duplicate_corr=0.0)


def test_real_brickwork_patches_load_and_no_group_straddles(shared_data: Path) -> None:
    patches = load_crack_patches(shared_data / "cracks" / "brickwork_cls", CrackFolderConfig(size=16))
    assert len(patches) == 560 and patches.counts() == {"crack": 280, "no_crack": 280} and patches.skipped == ()
    split = split_patches(patches, CrackSplitConfig(seed=0))
    check_no_overlap(split.groups, split.sides)
    kept = split.sides != DROPPED
    for i, j in near_duplicate_pairs(patches.fingerprints, 0.9):
        assert not (kept[i] and kept[j]) or split.sides[i] == split.sides[j]
    for side in ("train", "val", "test"):
        assert set(patches.y[split.index(side)].tolist()) == {0, 1}
