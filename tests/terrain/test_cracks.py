"""``terrain.cracks``: a folder per class of crack / no-crack patches -> (N, 3, s, s) in [0, 1], names kept;
every bad input is a ``TerrainDataError`` naming the folder or file; one unreadable file is skipped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crack_folders import write_crack_folder
from mineguard.terrain.cracks import BAND_NAMES, CrackFolderConfig, load_crack_patches
from mineguard.terrain.raster import TerrainDataError


def test_loads_shapes_labels_names_and_range(tmp_path: Path) -> None:
    root = write_crack_folder(tmp_path / "set", {"Positive": [1, 2, 5], "Negative": [3, 4]})
    patches = load_crack_patches(root, CrackFolderConfig(size=16))
    assert patches.X.shape == (5, 3, 16, 16) and patches.X.dtype == np.float32
    assert patches.X.min() >= 0.0 and patches.X.max() <= 1.0
    assert patches.y.tolist() == [1, 1, 1, 0, 0] and patches.band_names == BAND_NAMES == ("R", "G", "B")
    names = [f"Positive/{n:05d}.png" for n in (1, 2, 5)] + [f"Negative/{n:05d}.png" for n in (3, 4)]
    assert patches.names == tuple(names)
    assert patches.fingerprints.shape == (5, 256)
    np.testing.assert_allclose(np.linalg.norm(patches.fingerprints, axis=1), 1.0, atol=1e-5)
    assert patches.counts() == {"crack": 3, "no_crack": 2} and patches.skipped == ()


def test_area_resize_keeps_the_mean_colour(tmp_path: Path) -> None:
    root = write_crack_folder(tmp_path / "set", {"Positive": [1], "Negative": [2]}, side=32)
    full = load_crack_patches(root, CrackFolderConfig(size=32))
    half = load_crack_patches(root, CrackFolderConfig(size=8))
    np.testing.assert_allclose(half.X.mean(axis=(2, 3)), full.X.mean(axis=(2, 3)), atol=2e-3)


def test_class_folder_names_are_configuration(tmp_path: Path) -> None:
    root = write_crack_folder(tmp_path / "set", {"crack": [1, 2], "intact": [3]})
    patches = load_crack_patches(root, CrackFolderConfig(positive="crack", negative="intact", size=8))
    assert patches.names == ("crack/00001.png", "crack/00002.png", "intact/00003.png")


def test_missing_root_or_class_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(TerrainDataError, match="nowhere: no such folder"):
        load_crack_patches(tmp_path / "nowhere")
    root = write_crack_folder(tmp_path / "set", {"Positive": [1]})
    with pytest.raises(TerrainDataError, match=r"Negative: the negative \(no crack\) class folder is missing"):
        load_crack_patches(root)


def test_empty_class_folder_is_named(tmp_path: Path) -> None:
    root = write_crack_folder(tmp_path / "set", {"Positive": [1], "Negative": []})
    (root / "Negative" / "notes.txt").write_text("no images here")
    with pytest.raises(TerrainDataError, match="Negative: no images"):
        load_crack_patches(root)


def test_an_unreadable_image_is_skipped_counted_and_reported(tmp_path: Path, caplog) -> None:
    root = write_crack_folder(tmp_path / "set", {"Positive": [1, 2], "Negative": [3, 4]})
    (root / "Positive" / "00009.png").write_bytes(b"not a png at all")
    patches = load_crack_patches(root, CrackFolderConfig(size=8))
    assert len(patches) == 4 and "Positive/00009.png" not in patches.names
    assert len(patches.skipped) == 1 and "00009.png" in patches.skipped[0]
    assert "00009.png" in caplog.text


def test_only_one_readable_class_is_an_error(tmp_path: Path) -> None:
    root = write_crack_folder(tmp_path / "set", {"Positive": [1, 2], "Negative": []})
    (root / "Negative" / "00003.jpg").write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(TerrainDataError, match="Negative: none of its images could be read"):
        load_crack_patches(root)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 pixels"):
        CrackFolderConfig(size=2)
    with pytest.raises(ValueError, match="must differ"):
        CrackFolderConfig(positive="x", negative="x")
