"""The spatial-block x date split: no pixel of a held-out slice near a training slice, dates ordered."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from mineguard.terrain.dataset import build_split
from mineguard.terrain.raster import TerrainDataError
from mineguard.terrain.slices import SliceConfig, Slices
from mineguard.terrain.split import (
    TEST,
    TRAIN,
    VAL,
    SplitConfig,
    SplitLeakageError,
    assign_blocks,
    check_no_leakage,
    split_dates,
)
from terrain_scenes import DATES, make_site

CONFIG = SplitConfig(block_size=25, buffer=2, test_fraction=0.3, val_fraction=0.2, seed=0)


def _pixels(slices: Slices, grow: int = 0) -> set[tuple[int, int]]:
    """Every pixel the slices cover, grown by ``grow`` px — computed slice by slice, independently of the code."""
    out = set()
    for r, c in zip(slices.rows.tolist(), slices.cols.tolist(), strict=True):
        for i in range(r - grow, r + slices.size + grow):
            for j in range(c - grow, c + slices.size + grow):
                out.add((i, j))
    return out


@pytest.mark.parametrize("size", [3, 5])
def test_honest_split_has_no_overlap(size: int) -> None:
    data = build_split(make_site(), SliceConfig(size=size, stride=2), CONFIG)
    assert not data.flattering and data.protocol == "spatial_temporal"
    for part in (data.train, data.val, data.test):
        assert part.n_positive > 0 and part.n_negative > 0
    train = _pixels(data.train)
    assert train.isdisjoint(_pixels(data.test, grow=CONFIG.buffer))
    assert train.isdisjoint(_pixels(data.val, grow=CONFIG.buffer))
    assert _pixels(data.val).isdisjoint(_pixels(data.test, grow=CONFIG.buffer))
    check_no_leakage(data.train, data.test, buffer=CONFIG.buffer)
    assert data.dropped["buffer"] > 0 and data.dropped["off_protocol"] > 0
    total = sum(c.kept for c in data.cut_counts.values())
    assert total == len(data.train) + len(data.val) + len(data.test) + sum(data.dropped.values())


def test_temporal_order() -> None:
    data = build_split(make_site(), 5, CONFIG)
    assert data.train_dates == DATES[:3] and data.test_dates == DATES[3:]
    assert data.train.dates.max() < data.test.dates.min()
    assert set(data.val.dates.tolist()) <= set(DATES[:3])
    explicit = split_dates(list(DATES), SplitConfig(test_from=date(2022, 7, 1)))
    assert explicit == (DATES[:2], DATES[2:])
    with pytest.raises(TerrainDataError, match="temporal split"):
        split_dates([DATES[0]], CONFIG)


def test_blocks_grouped_stratified_and_seeded() -> None:
    quarry = np.zeros((100, 100), bool)
    quarry[20:30, 20:30] = True  # one pit across four 25 px blocks: they form one group
    quarry[70:80, 70:80] = True
    quarry[5:10, 80:90] = True
    grid = assign_blocks(quarry, SplitConfig(block_size=25, val_fraction=0.2, seed=3))
    assert len({grid.sides[0, 0], grid.sides[0, 1], grid.sides[1, 0], grid.sides[1, 1]}) == 1
    assert all(grid.quarry_groups(side) == 1 for side in (TRAIN, VAL, TEST))
    again = assign_blocks(quarry, SplitConfig(block_size=25, val_fraction=0.2, seed=3))
    assert np.array_equal(grid.sides, again.sides)
    assert grid.pixel_sides().shape == (100, 100)
    with pytest.raises(TerrainDataError, match="too few"):
        assign_blocks(quarry[:50, :50], SplitConfig(block_size=25))


def test_remainder_joins_the_last_block() -> None:
    quarry = np.zeros((101, 101), bool)
    quarry[[5, 5, 60], [5, 60, 5]] = True
    grid = assign_blocks(quarry, SplitConfig(block_size=50, val_fraction=0.0))
    assert grid.sides.shape == (2, 2)
    assert grid.pixel_sides()[100, 100] == grid.sides[1, 1]


def test_flattering_random_split_is_flagged_and_leaks() -> None:
    data = build_split(make_site(), SliceConfig(size=5, stride=2), CONFIG, protocol="random")
    assert data.flattering and data.protocol == "random" and data.blocks is None
    assert len(data.train) + len(data.val) + len(data.test) == sum(c.kept for c in data.cut_counts.values())
    with pytest.raises(SplitLeakageError, match="overlap"):
        check_no_leakage(data.train, data.test, buffer=0)
    with pytest.raises(TerrainDataError, match="unknown split protocol"):
        build_split(make_site(), 5, CONFIG, protocol="shuffled")  # type: ignore[arg-type]


def test_check_no_leakage_buffer() -> None:
    site = make_site(dates=DATES[:1])
    data = build_split(site, SliceConfig(size=5), CONFIG, protocol="random")
    a, b = data.train[:1], data.train[:1]
    shifted = Slices(b.X, b.y, b.rows, b.cols + 7, b.dates, b.size, b.band_names)  # a 2 px gap
    check_no_leakage(a, shifted, buffer=2)
    with pytest.raises(SplitLeakageError, match="within 3 px"):
        check_no_leakage(a, shifted, buffer=3)
    check_no_leakage(a, Slices.empty(5, a.band_names))
