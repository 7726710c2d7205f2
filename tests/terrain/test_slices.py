"""Slices cut from a 40x40 scene with a known quarry square: exact counts and labels."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.terrain.raster import TerrainDataError
from mineguard.terrain.slices import SliceConfig, SliceCounts, Slices, cut_slices
from terrain_scenes import make_quarry_scene


def test_known_quarry_square_size_10() -> None:
    scene, mask = make_quarry_scene()  # quarry exactly the 10x10 block at rows/cols 10:20
    cut = cut_slices(scene, mask, SliceConfig(size=10))
    assert cut.counts == SliceCounts(windows=16, positive=1, negative=15, ambiguous=0, unlabelled=0, invalid=0)
    pos = cut.slices[cut.slices.y == 1]
    assert (pos.rows.tolist(), pos.cols.tolist()) == ([10], [10])
    assert cut.slices.X.shape == (16, 10, 10, 10) and cut.slices.X.dtype == np.float32
    assert np.all(np.float32(0.4) == pos.X)
    assert cut.slices.y.dtype == np.int64 and cut.slices.dates[0] == np.datetime64("2022-06-01")


def test_known_quarry_square_size_4_stride_2() -> None:
    scene, mask = make_quarry_scene()
    cut = cut_slices(scene, mask, SliceConfig(size=4, stride=2))
    # 19 x 19 windows; quarry rows 10:20 -> windows starting 10..16 step 2 lie inside (4 x 4 = 16 positive);
    # windows starting at 8 or 18 straddle: 2 of 4 rows/cols inside -> share 0.5 (positive) or 0.25 (ambiguous)
    assert cut.counts.windows == 19 * 19
    inside = {10, 12, 14, 16}
    half = {8, 18}  # half of the window's rows (or cols) inside the quarry
    expected_positive = len(inside) ** 2 + 2 * len(inside) * len(half)  # share 1.0 and 0.5
    expected_ambiguous = len(half) ** 2  # share 0.25 at the corners
    assert cut.counts.positive == expected_positive
    assert cut.counts.ambiguous == expected_ambiguous
    assert cut.counts.negative == 19 * 19 - expected_positive - expected_ambiguous


def test_unlabelled_and_invalid_windows_are_dropped_and_counted() -> None:
    scene, mask = make_quarry_scene()
    mask[:, :10] = 0  # left strip not labelled
    scene.valid[30:, 30:] = False  # bottom-right block invalid
    cut = cut_slices(scene, mask, SliceConfig(size=10))
    assert cut.counts.unlabelled == 4 and cut.counts.invalid == 1
    assert cut.counts.kept == 11 and cut.counts.dropped == 5
    assert set(zip(cut.slices.rows.tolist(), cut.slices.cols.tolist(), strict=True)).isdisjoint({(30, 30), (0, 0)})
    half = cut_slices(scene, mask, SliceConfig(size=10, min_valid=0.0, min_labelled=0.5))
    # with invalid pixels allowed the block still has no labelled pixel: a labelled pixel must be valid
    assert half.counts.invalid == 0 and half.counts.unlabelled == 5 and half.counts.kept == 11


def test_quarry_class_and_shares_are_configuration() -> None:
    scene, mask = make_quarry_scene()
    mask[mask == 10] = 7
    assert cut_slices(scene, mask, SliceConfig(size=10)).counts.positive == 0
    assert cut_slices(scene, mask, SliceConfig(size=10, quarry_class=7)).counts.positive == 1
    with pytest.raises(TerrainDataError, match="negative_share"):
        SliceConfig(size=3, positive_share=0.2, negative_share=0.5)
    with pytest.raises(TerrainDataError, match="min_labelled"):
        SliceConfig(size=3, min_labelled=1.5)
    with pytest.raises(TerrainDataError, match="slice size"):
        SliceConfig(size=0)


def test_bad_inputs() -> None:
    scene, mask = make_quarry_scene()
    with pytest.raises(TerrainDataError, match="mask is"):
        cut_slices(scene, mask[:30], SliceConfig(size=3))
    with pytest.raises(TerrainDataError, match="larger than the scene"):
        cut_slices(scene, mask, SliceConfig(size=41))


def test_slices_indexing_and_concat() -> None:
    scene, mask = make_quarry_scene()
    a = cut_slices(scene, mask, SliceConfig(size=10)).slices
    both = Slices.concat([a, a[a.y == 1]])
    assert len(both) == 17 and both.n_positive == 2 and both.n_negative == 15
    assert len(Slices.empty(10, a.band_names)) == 0
    with pytest.raises(ValueError, match="same slice size"):
        Slices.concat([a, cut_slices(scene, mask, SliceConfig(size=5)).slices])
