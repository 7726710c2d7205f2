"""Scenes paired with masks by file name, and the split built on the real Strzegom scenes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from mineguard.terrain.dataset import build_split, load_strzegom
from mineguard.terrain.raster import TerrainDataError
from mineguard.terrain.slices import PAPER_SLICE_SIZES, SliceConfig, cut_slices
from mineguard.terrain.split import SplitConfig, check_no_leakage

STRZEGOM = Path("satellite/s2_quarry_strzegom")


def _write_pair(folder: Path, name: str, *, mask: bool = True, mask_shape: tuple[int, int] = (8, 8)) -> None:
    (folder / "img_train").mkdir(parents=True, exist_ok=True)
    (folder / "training_masks").mkdir(parents=True, exist_ok=True)
    np.save(folder / "img_train" / name, np.full((10, 8, 8), 1000, np.uint16))
    if mask:
        np.save(folder / "training_masks" / name, np.full(mask_shape, 9, np.int16))


def test_pairs_by_name_sorted_by_date(tmp_path: Path) -> None:
    _write_pair(tmp_path, "site_20230209.npy")
    _write_pair(tmp_path, "site_20210619.npy")
    pairs = load_strzegom(tmp_path)
    assert [scene.taken for scene, _ in pairs] == [date(2021, 6, 19), date(2023, 2, 9)]
    assert pairs[0][1].shape == (8, 8)


def test_scene_without_mask_and_other_errors(tmp_path: Path) -> None:
    _write_pair(tmp_path, "site_20210619.npy", mask=False)
    with pytest.raises(TerrainDataError, match=r"site_20210619\.npy: no mask"):
        load_strzegom(tmp_path)
    with pytest.raises(TerrainDataError, match="no such folder"):
        load_strzegom(tmp_path / "absent")
    _write_pair(tmp_path / "b", "site_20210619.npy", mask_shape=(8, 9))
    with pytest.raises(TerrainDataError, match="mask is 8x9 px, its scene 8x8"):
        load_strzegom(tmp_path / "b")
    (tmp_path / "c" / "img_train").mkdir(parents=True)
    (tmp_path / "c" / "training_masks").mkdir()
    with pytest.raises(TerrainDataError, match="no scene files"):
        load_strzegom(tmp_path / "c")
    with pytest.raises(TerrainDataError, match="at least one"):
        build_split([], 9)


@pytest.fixture(scope="module")
def strzegom(shared_data: Path) -> list:
    return load_strzegom(shared_data / STRZEGOM)


# windows kept / positive for 2022-07-19 at stride = size (regression numbers of this slicing rule)
EXPECTED_ONE_DATE = {3: (5592, 699), 6: (1373, 168), 9: (576, 74), 18: (122, 17), 36: (21, 3)}


def test_real_slice_counts_per_size(strzegom: list) -> None:
    assert [scene.taken.isoformat() for scene, _ in strzegom] == [
        "2021-06-19",
        "2022-06-19",
        "2022-07-19",
        "2022-10-12",
        "2023-02-09",
    ]
    scene, mask = strzegom[2]
    for size in PAPER_SLICE_SIZES:
        counts = cut_slices(scene, mask, SliceConfig(size=size)).counts
        assert counts.windows == ((401 - size) // size + 1) ** 2
        assert (counts.kept, counts.positive) == EXPECTED_ONE_DATE[size]
        assert counts.kept + counts.dropped == counts.windows


@pytest.mark.parametrize("size", [9, 18])
def test_real_honest_split(strzegom: list, size: int) -> None:
    data = build_split(strzegom, size, SplitConfig())
    assert data.test_dates == (date(2022, 10, 12), date(2023, 2, 9))
    for part in (data.train, data.val, data.test):
        assert part.n_positive >= 10 and part.n_negative > 0
        assert part.X.shape[1:] == (10, size, size)
    for a, b in ((data.train, data.test), (data.train, data.val), (data.val, data.test)):
        check_no_leakage(a, b, buffer=data.split_config.buffer)
    summary = data.summary()
    assert summary["flattering"] is False and summary["test"]["positive"] == data.test.n_positive
