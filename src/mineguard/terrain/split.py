"""Honest train / validation / test splits of scene slices: spatial blocks x dates, with a buffer.

Slices cut from the same scene overlap or touch each other, and the same ground is seen again on
every date: a random split of slices puts near-copies of each test slice in the training set and
flatters any model (seed 004 §4.1 splits image fragments 80:20 at random). The split here holds out
**ground and time** together:

* Space: the scene is divided into square blocks of ``block_size`` px (the remainder joins the
  last row / column of blocks). Blocks touched by the same connected open pit are grouped, so one
  quarry never lies on both sides. Groups are assigned to train / val / test at random (seeded),
  stratified so every side gets quarry groups — an error says so when there are too few.
* Buffer: a slice is kept on a side only when every pixel of it, grown by ``buffer`` px, lies in
  blocks of that side; slices across or next to a boundary are dropped (counted).
* Time: the latest dates (``n_test_dates``, or those on / after ``test_from``) are test dates.
  Train = train blocks x earlier dates; val (model selection) = val blocks x earlier dates;
  test (the honest hold-out) = test blocks x test dates. Test blocks on earlier dates and
  train / val blocks on test dates are used by no one.

:func:`check_no_leakage` proves it for any two sets. :func:`random_split` builds the deliberately
flattering split, flagged ``flattering=True``, so a benchmark can show the gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy import ndimage

from mineguard.terrain.raster import TerrainDataError
from mineguard.terrain.slices import SliceConfig, SliceCounts, SliceCut, Slices

TRAIN, VAL, TEST = 0, 1, 2
SIDE_NAMES: tuple[str, ...] = ("train", "val", "test")
MIXED = -1  # a slice (grown by the buffer) that touches blocks of more than one side


class SplitLeakageError(AssertionError):
    """A held-out slice shares pixels with (or lies within the buffer of) a training slice."""


@dataclass(frozen=True)
class SplitConfig:
    """``block_size``, ``buffer`` in px; fractions of block groups; the test dates; the seed."""

    block_size: int = 100
    buffer: int = 9
    test_fraction: float = 0.3
    val_fraction: float = 0.15
    test_from: date | None = None
    n_test_dates: int = 2
    seed: int = 0
    min_quarry_groups: int = 1  # per side (val only when val_fraction > 0)

    def __post_init__(self) -> None:
        if self.block_size < 1 or self.buffer < 0:
            raise TerrainDataError(f"block_size must be >= 1 and buffer >= 0 px, got {self.block_size}, {self.buffer}")
        if not (
            0 < self.test_fraction < 1 and 0 <= self.val_fraction < 1 and self.test_fraction + self.val_fraction < 1
        ):
            raise TerrainDataError(
                f"test_fraction ({self.test_fraction}) and val_fraction ({self.val_fraction}) "
                "must be shares that leave blocks for training"
            )
        if self.test_from is None and self.n_test_dates < 1:
            raise TerrainDataError(f"n_test_dates must be >= 1, got {self.n_test_dates}")


@dataclass(frozen=True)
class BlockGrid:
    """The scene's blocks and the side (TRAIN / VAL / TEST) each was given.

    ``sides``, ``group``, ``has_quarry``: (nby, nbx); ``shape``: the scene's (H, W).
    """

    block_size: int
    shape: tuple[int, int]
    sides: np.ndarray
    group: np.ndarray
    has_quarry: np.ndarray

    def pixel_sides(self) -> np.ndarray:
        """(H, W) int8: the side of every pixel."""
        nby, nbx = self.sides.shape
        by = np.minimum(np.arange(self.shape[0]) // self.block_size, nby - 1)
        bx = np.minimum(np.arange(self.shape[1]) // self.block_size, nbx - 1)
        return self.sides[np.ix_(by, bx)].astype(np.int8)

    def quarry_groups(self, side: int) -> int:
        return len(np.unique(self.group[(self.sides == side) & self.has_quarry]))


def assign_blocks(quarry: np.ndarray, config: SplitConfig) -> BlockGrid:
    """Assign the blocks of a scene with open-pit pixels ``quarry`` (H, W) bool (any date) to sides."""
    h, w = quarry.shape
    nby, nbx = max(1, h // config.block_size), max(1, w // config.block_size)
    by = np.minimum(np.arange(h) // config.block_size, nby - 1)
    bx = np.minimum(np.arange(w) // config.block_size, nbx - 1)
    block_of_pixel = by[:, None] * nbx + bx[None, :]

    parent = np.arange(nby * nbx)  # union-find: blocks sharing a connected quarry are one group

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    components, n = ndimage.label(quarry, structure=np.ones((3, 3)))
    for k in range(1, n + 1):
        blocks = np.unique(block_of_pixel[components == k])
        for other in blocks[1:]:
            parent[find(int(other))] = find(int(blocks[0]))
    group = np.array([find(i) for i in range(nby * nbx)]).reshape(nby, nbx)
    has_quarry = np.bincount(block_of_pixel.ravel(), weights=quarry.ravel(), minlength=nby * nbx).reshape(nby, nbx) > 0

    rng = np.random.default_rng(config.seed)
    side_of_group = _assign_quarry_groups(group, block_of_pixel, quarry, config, rng)
    rest = rng.permutation(np.unique(group[~np.isin(group, list(side_of_group))]))
    n_test, n_val = round(config.test_fraction * len(rest)), round(config.val_fraction * len(rest))
    for i, g in enumerate(rest):
        side_of_group[int(g)] = TEST if i < n_test else VAL if i < n_test + n_val else TRAIN
    sides = np.vectorize(side_of_group.__getitem__, otypes=[np.int8])(group)
    return BlockGrid(config.block_size, (h, w), sides, group, has_quarry)


def _assign_quarry_groups(
    group: np.ndarray, block_of_pixel: np.ndarray, quarry: np.ndarray, config: SplitConfig, rng: np.random.Generator
) -> dict[int, int]:
    """Quarry groups in random order fill test, then val, up to their fraction of the open-pit pixels; rest train.

    Each side gets at least ``min_quarry_groups`` groups (val only when ``val_fraction`` > 0).
    """
    pixels_of_group = np.bincount(group.ravel()[block_of_pixel.ravel()], weights=quarry.ravel())
    groups = rng.permutation(np.flatnonzero(pixels_of_group > 0))
    need = config.min_quarry_groups
    n_sides = 3 if config.val_fraction > 0 else 2
    if len(groups) < need * n_sides:
        raise TerrainDataError(
            f"only {len(groups)} block group(s) of {config.block_size} px hold open-pit pixels: too few to put "
            f"{need} on each of {n_sides} sides — use a smaller block_size, or val_fraction=0"
        )
    total = pixels_of_group.sum()
    fill_order = [(TEST, config.test_fraction)] + ([(VAL, config.val_fraction)] if n_sides == 3 else [])
    out: dict[int, int] = {}
    i = 0
    for k, (side, fraction) in enumerate(fill_order):
        keep_for_later = need * (n_sides - 1 - k)  # groups the sides filled after this one still need
        taken, count = 0.0, 0
        while i < len(groups) - keep_for_later and (count < need or taken < fraction * total):
            out[int(groups[i])] = side
            taken, count, i = taken + pixels_of_group[groups[i]], count + 1, i + 1
    for g in groups[i:]:
        out[int(g)] = TRAIN
    return out


def _box_counts(table: np.ndarray, r0: np.ndarray, c0: np.ndarray, r1: np.ndarray, c1: np.ndarray) -> np.ndarray:
    return table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]


def _summed(image: np.ndarray) -> np.ndarray:
    table = np.zeros((image.shape[0] + 1, image.shape[1] + 1), np.int64)
    table[1:, 1:] = image.astype(np.int64).cumsum(0).cumsum(1)
    return table


def _grown_boxes(rows: np.ndarray, cols: np.ndarray, size: int, buffer: int, shape: tuple[int, int]):
    return (
        np.clip(rows - buffer, 0, shape[0]),
        np.clip(cols - buffer, 0, shape[1]),
        np.clip(rows + size + buffer, 0, shape[0]),
        np.clip(cols + size + buffer, 0, shape[1]),
    )


def slice_sides(grid: BlockGrid, rows: np.ndarray, cols: np.ndarray, size: int, buffer: int) -> np.ndarray:
    """(N,) int8 side of each slice, or ``MIXED`` when the slice grown by ``buffer`` px meets two sides."""
    pixel_sides = grid.pixel_sides()
    r0, c0, r1, c1 = _grown_boxes(rows, cols, size, buffer, grid.shape)
    area = (r1 - r0) * (c1 - c0)
    out = np.full(len(rows), MIXED, np.int8)
    for side in (TRAIN, VAL, TEST):
        out[_box_counts(_summed(pixel_sides == side), r0, c0, r1, c1) == area] = side
    return out


def check_no_leakage(
    train: Slices, held_out: Slices, *, buffer: int = 0, names: tuple[str, str] = ("train", "test")
) -> None:
    """Raise :class:`SplitLeakageError` when a ``held_out`` slice overlaps a ``train`` slice's pixels, on any date,
    or lies within ``buffer`` px of one. Slices of different sizes are fine."""
    if len(train) == 0 or len(held_out) == 0:
        return
    h = int(max((train.rows + train.size).max(), (held_out.rows + held_out.size).max())) + 1
    w = int(max((train.cols + train.size).max(), (held_out.cols + held_out.size).max())) + 1
    paint = np.zeros((h + 1, w + 1), np.int64)  # difference array: every train slice +1 over its pixels
    r, c, s = train.rows, train.cols, train.size
    for dr, dc, sign in ((r, c, 1), (r + s, c, -1), (r, c + s, -1), (r + s, c + s, 1)):
        np.add.at(paint, (dr, dc), sign)
    covered = paint.cumsum(0).cumsum(1)[:h, :w] > 0
    r0, c0, r1, c1 = _grown_boxes(held_out.rows, held_out.cols, held_out.size, buffer, (h, w))
    touching = _box_counts(_summed(covered), r0, c0, r1, c1) > 0
    if touching.any():
        i = int(np.argmax(touching))
        raise SplitLeakageError(
            f"{int(touching.sum())} of {len(held_out)} {names[1]} slices overlap or lie within {buffer} px of "
            f"{names[0]} slices (first at row {held_out.rows[i]}, col {held_out.cols[i]}, size {held_out.size})"
        )


@dataclass(frozen=True)
class SplitData:
    """Train / val / test slices for one slice size, and how they were chosen.

    ``train``, ``val``, ``test``: :class:`Slices` (``X`` (N, C, s, s) float32 reflectance, ``y`` (N,)
    int64 1 = open pit, ``rows``/``cols`` top-left px, ``dates`` datetime64[D]). Fit on ``train``,
    select models / thresholds on ``val``, report on ``test`` once.
    ``protocol``: ``"spatial_temporal"`` (honest) or ``"random"`` (flattering: neighbouring and
    same-place slices on both sides — only to show the gap); ``flattering`` says which.
    ``train_dates`` / ``test_dates``: dates each side was drawn from (both all dates when random).
    ``cut_counts``: windows kept / dropped per scene date when cutting slices.
    ``dropped``: slices left out by the split, by reason (``buffer``: across or near a boundary;
    ``off_protocol``: test blocks at train dates and train / val blocks at test dates).
    ``blocks``: the block grid (None for the random split).
    """

    train: Slices
    val: Slices
    test: Slices
    protocol: str
    flattering: bool
    train_dates: tuple[date, ...]
    test_dates: tuple[date, ...]
    cut_counts: dict[str, SliceCounts]
    dropped: dict[str, int]
    slice_config: SliceConfig
    split_config: SplitConfig
    blocks: BlockGrid | None = field(default=None, repr=False)

    @property
    def slice_size(self) -> int:
        return self.slice_config.size

    @property
    def band_names(self) -> tuple[str, ...]:
        return self.train.band_names

    def summary(self) -> dict[str, object]:
        """JSON-ready counts: per side n / positive / negative, dates, drops, the flattering flag."""
        sides = {
            name: {"n": len(part), "positive": part.n_positive, "negative": part.n_negative}
            for name, part in zip(SIDE_NAMES, (self.train, self.val, self.test), strict=True)
        }
        return {
            "protocol": self.protocol,
            "flattering": self.flattering,
            "slice_size": self.slice_size,
            "train_dates": [d.isoformat() for d in self.train_dates],
            "test_dates": [d.isoformat() for d in self.test_dates],
            **sides,
            "dropped": dict(self.dropped),
            "cut_counts": {k: v.as_dict() for k, v in self.cut_counts.items()},
        }


def split_dates(dates: list[date], config: SplitConfig) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """Earlier dates for training, the latest for testing; an error when either side would be empty."""
    unique = sorted(set(dates))
    if config.test_from is not None:
        test = tuple(d for d in unique if d >= config.test_from)
    else:
        test = tuple(unique[-config.n_test_dates :])
    train = tuple(d for d in unique if d not in test)
    if not train or not test:
        raise TerrainDataError(
            f"dates {[d.isoformat() for d in unique]} give {len(train)} training and {len(test)} test date(s) — "
            "a temporal split needs scenes from at least two dates on each side of test_from / n_test_dates"
        )
    return train, test


def _cut_dates(cuts: list[SliceCut]) -> list[date]:
    dates = [c.taken for c in cuts if c.taken is not None]
    if len(dates) != len(cuts):
        raise TerrainDataError("every scene needs an acquisition date for a temporal split (YYYYMMDD in its file name)")
    return dates


def spatial_temporal_split(
    cuts: list[SliceCut], quarry: np.ndarray, slice_config: SliceConfig, config: SplitConfig
) -> SplitData:
    """The honest split of ``cuts`` (one per scene date, same footprint).

    ``quarry``: (H, W) bool, open pit on any date (blocks sharing one connected pit are grouped).
    """
    train_dates, test_dates = split_dates(_cut_dates(cuts), config)
    grid = assign_blocks(quarry, config)
    for side in (TRAIN, TEST) + ((VAL,) if config.val_fraction > 0 else ()):
        if grid.quarry_groups(side) < config.min_quarry_groups:
            raise TerrainDataError(
                f"no open-pit block group on the {SIDE_NAMES[side]} side — change seed or block_size"
            )
    pool = Slices.concat([c.slices for c in cuts])
    sides = slice_sides(grid, pool.rows, pool.cols, pool.size, config.buffer)
    at_train_date = np.isin(pool.dates, np.array(train_dates, "datetime64[D]"))
    train = pool[(sides == TRAIN) & at_train_date]
    val = pool[(sides == VAL) & at_train_date]
    test = pool[(sides == TEST) & ~at_train_date]
    for a, b, names in ((train, test, ("train", "test")), (train, val, ("train", "val")), (val, test, ("val", "test"))):
        check_no_leakage(a, b, buffer=config.buffer, names=names)
    n_buffer = int((sides == MIXED).sum())
    dropped = {"buffer": n_buffer, "off_protocol": len(pool) - n_buffer - len(train) - len(val) - len(test)}
    return SplitData(
        train=train,
        val=val,
        test=test,
        protocol="spatial_temporal",
        flattering=False,
        train_dates=train_dates,
        test_dates=test_dates,
        cut_counts=_cut_counts(cuts),
        dropped=dropped,
        slice_config=slice_config,
        split_config=config,
        blocks=grid,
    )


def random_split(cuts: list[SliceCut], slice_config: SliceConfig, config: SplitConfig) -> SplitData:
    """The FLATTERING split: all slices of all dates shuffled and cut by ``test_fraction`` / ``val_fraction``.

    Overlapping and same-place slices land on both sides; use it only to show how much better a
    model looks under it than under :func:`spatial_temporal_split`.
    """
    pool = Slices.concat([c.slices for c in cuts])
    order = np.random.default_rng(config.seed).permutation(len(pool))
    n_test, n_val = round(config.test_fraction * len(pool)), round(config.val_fraction * len(pool))
    dates = tuple(sorted({c.taken for c in cuts if c.taken is not None}))
    return SplitData(
        train=pool[np.sort(order[n_test + n_val :])],
        val=pool[np.sort(order[n_test : n_test + n_val])],
        test=pool[np.sort(order[:n_test])],
        protocol="random",
        flattering=True,
        train_dates=dates,
        test_dates=dates,
        cut_counts=_cut_counts(cuts),
        dropped={"buffer": 0, "off_protocol": 0},
        slice_config=slice_config,
        split_config=config,
    )


def _cut_counts(cuts: list[SliceCut]) -> dict[str, SliceCounts]:
    out: dict[str, SliceCounts] = {}
    for cut in cuts:
        key = cut.taken.isoformat() if cut.taken else str(cut.slices.size)
        out[key] = out.get(key, SliceCounts()) + cut.counts
    return out
