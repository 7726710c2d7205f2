"""Probability maps by sliding window: a known square found, overlap averaged exactly, every border
pixel covered, nodata NaN; binary layers and hectares at the paper's 0.7 / 0.8 / 0.9."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mineguard.terrain.mapping import (
    PAPER_THRESHOLDS,
    area_ha,
    count_windows,
    disturbed,
    probability_map,
    threshold_areas,
    window_starts,
)
from mineguard.terrain.raster import TerrainDataError
from terrain_scenes import probability, scene


def bright_half(slices: np.ndarray) -> np.ndarray:
    """1 where the slice's mean band-0 value is over 0.5."""
    return (slices[:, 0].mean(axis=(1, 2)) > 0.5).astype(np.float32)


def test_a_bright_square_is_mapped_where_it_is() -> None:
    bands = np.full((2, 64, 64), 0.1, np.float32)
    bands[0, 20:44, 20:44] = 1.0
    pmap = probability_map(scene(bands), bright_half, 8, 2)
    truth = np.zeros((64, 64), bool)
    truth[20:44, 20:44] = True
    layer = disturbed(pmap.probs, 0.5)
    assert (layer & truth).sum() / (layer | truth).sum() > 0.8  # a slice classifier rounds the corners
    assert layer[24:40, 24:40].all() and not layer[:16].any() and not layer[:, 48:].any()  # within half a slice
    assert pmap.probs[32, 32] == 1.0 and pmap.probs[0, 0] == 0.0 and pmap.probs[63, 63] == 0.0
    assert pmap.windows == count_windows((64, 64), 8, 2) and pmap.km2_per_s > 0


def test_overlapping_slices_are_averaged_exactly() -> None:
    band = np.arange(9, dtype=np.float32).reshape(1, 3, 3)  # slice at (r, c) starts on value 3r + c
    pmap = probability_map(scene(band), lambda s: s[:, 0, 0, 0] / 10, 2, 1)
    expected = [[0.0, 0.05, 0.1], [0.15, 0.2, 0.25], [0.3, 0.35, 0.4]]
    np.testing.assert_allclose(pmap.probs, expected, atol=1e-6)


@pytest.mark.parametrize(("shape", "size", "stride"), [((10, 11), 4, 3), ((3, 3), 5, 2), ((7, 20), 7, 7)])
def test_every_pixel_is_covered_even_at_the_borders(shape: tuple[int, int], size: int, stride: int) -> None:
    pmap = probability_map(scene(np.ones((1, *shape))), lambda s: np.full(len(s), 0.5), size, stride)
    assert pmap.probs.shape == shape and np.all(pmap.probs == 0.5)
    assert window_starts(11, 4, 3) == [0, 3, 6, 7]


def test_nodata_pixels_are_nan_and_empty_slices_are_not_classified() -> None:
    valid = np.ones((12, 12), bool)
    valid[:6, :6] = False
    seen: list[int] = []

    def predict(slices: np.ndarray) -> np.ndarray:
        seen.append(len(slices))
        return np.full(len(slices), 0.9)

    pmap = probability_map(scene(np.ones((1, 12, 12)), valid=valid), predict, 6, 6, batch=2)
    assert np.isnan(pmap.probs[:6, :6]).all() and np.all(pmap.probs[valid] == np.float32(0.9))
    assert sum(seen) == pmap.windows == 3 and max(seen) == 2


def test_a_classifier_that_breaks_its_contract_is_named() -> None:
    one = scene(np.ones((1, 8, 8)))
    with pytest.raises(TerrainDataError, match=r"returned \(1, 2\) for 1 slices"):
        probability_map(one, lambda s: np.zeros((len(s), 2)), 8, 8)
    with pytest.raises(TerrainDataError, match=r"outside \[0, 1\]"):
        probability_map(one, lambda s: np.full(len(s), 3.0), 8, 8)


def test_hectares_come_from_the_pixel_area() -> None:
    mask = np.zeros((20, 20), bool)
    mask[:10, :10] = True  # 100 pixels of 10 m x 10 m = 1 ha
    assert area_ha(mask, scene(np.ones((1, 20, 20)))) == pytest.approx(1.0)
    plain = scene(np.ones((1, 20, 20)), geo=False)
    with pytest.raises(TerrainDataError, match=r"synthetic\.npy: has no CRS"):
        area_ha(mask, plain)
    assert area_ha(mask, plain, pixel_area_m2=400.0) == pytest.approx(4.0)


def test_the_papers_three_thresholds_are_reported_together() -> None:
    probs = np.zeros((10, 10), np.float32)
    probs[0, :] = 0.95  # 10 px over all three
    probs[1, :5] = 0.85  # 5 px over 0.7 and 0.8
    probs[2, :2] = 0.75  # 2 px over 0.7
    probs[3, 0] = np.nan
    areas = threshold_areas(probability(probs, date(2021, 6, 19)))
    assert [a.threshold for a in areas] == list(PAPER_THRESHOLDS)
    assert [a.pixels for a in areas] == [17, 15, 10]
    assert [a.hectares for a in areas] == pytest.approx([0.17, 0.15, 0.10])
    with pytest.raises(TerrainDataError, match="between 0 and 1"):
        disturbed(probs, 1.5)
