"""Labelled square slices cut from a scene and its land-cover mask (seed 004 §5.1: 3, 6, 9, 18, 36 px).

A window of ``size`` x ``size`` pixels is moved over the scene with a ``stride``. It becomes a
slice when enough of it is usable, and its label comes from the share of open-pit pixels among
its labelled ones:

* usable: at least ``min_valid`` of its pixels are valid reflectance, and at least
  ``min_labelled`` of its pixels carry a class (class id > 0) on a valid pixel;
* positive (1, open pit) when the quarry share of the labelled pixels is >= ``positive_share``;
* negative (0) when that share is <= ``negative_share``;
* otherwise ambiguous, and dropped.

Every dropped window is counted by reason (:class:`SliceCounts`), so a report can say how many
windows a size gave and why the rest were left out. The quarry class id is configuration
(:class:`SliceConfig`), never a number in the code.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from mineguard.terrain.raster import Scene, TerrainDataError

PAPER_SLICE_SIZES: tuple[int, ...] = (3, 6, 9, 18, 36)  # seed 004 Table 3


@dataclass(frozen=True)
class SliceConfig:
    """How slices are cut and labelled.

    ``size``: slice side in px; ``stride``: step between windows in px (None: ``size``, no overlap);
    ``quarry_class``: the mask's class id for open pits / quarries; ``min_labelled``, ``min_valid``:
    shares of the slice's pixels in [0, 1]; ``positive_share`` / ``negative_share``: quarry share of
    the labelled pixels at or above which a slice is positive / at or below which it is negative.
    """

    size: int
    stride: int | None = None
    quarry_class: int = 10
    min_labelled: float = 0.5
    min_valid: float = 1.0
    positive_share: float = 0.5
    negative_share: float = 0.0

    def __post_init__(self) -> None:
        if self.size < 1 or (self.stride is not None and self.stride < 1):
            raise TerrainDataError(f"slice size and stride must be >= 1 px, got size={self.size} stride={self.stride}")
        if self.quarry_class < 1:
            raise TerrainDataError(
                f"quarry_class must be a class id >= 1 (0 means not labelled), got {self.quarry_class}"
            )
        for name in ("min_labelled", "min_valid", "positive_share", "negative_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise TerrainDataError(f"{name} must be a share in [0, 1], got {getattr(self, name)}")
        if self.min_labelled <= 0.0:
            raise TerrainDataError("min_labelled must be > 0: a slice needs at least one labelled pixel")
        if self.negative_share >= self.positive_share:
            raise TerrainDataError(
                f"negative_share ({self.negative_share}) must be below positive_share ({self.positive_share})"
            )

    @property
    def step(self) -> int:
        return self.size if self.stride is None else self.stride


@dataclass(frozen=True)
class SliceCounts:
    """Windows looked at, slices kept (positive / negative) and windows dropped, by reason."""

    windows: int = 0
    positive: int = 0
    negative: int = 0
    ambiguous: int = 0
    unlabelled: int = 0
    invalid: int = 0

    @property
    def kept(self) -> int:
        return self.positive + self.negative

    @property
    def dropped(self) -> int:
        return self.ambiguous + self.unlabelled + self.invalid

    def __add__(self, other: SliceCounts) -> SliceCounts:
        return SliceCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"kept": self.kept, "dropped": self.dropped}


@dataclass(frozen=True)
class Slices:
    """A set of labelled slices, from one or many dates of the same scene footprint.

    ``X``: (N, C, s, s) float32 reflectance; ``y``: (N,) int64, 1 = open pit, 0 = not;
    ``rows``, ``cols``: (N,) int64 top-left pixel of each slice in the scene;
    ``dates``: (N,) ``datetime64[D]`` acquisition date (NaT when the scene had none);
    ``size``: s in px; ``band_names``: the C band names in order.
    Index with a boolean mask or an index array (``slices[slices.y == 1]``).
    """

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    dates: np.ndarray
    size: int
    band_names: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.y)
        if self.X.shape[0] != n or not (len(self.rows) == len(self.cols) == len(self.dates) == n):
            raise ValueError(f"Slices: X, y, rows, cols and dates must have one entry per slice ({n})")
        if self.X.ndim != 4 or self.X.shape[1:] != (len(self.band_names), self.size, self.size):
            raise ValueError(
                f"Slices: X must be (N, {len(self.band_names)}, {self.size}, {self.size}), got {self.X.shape}"
            )

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: np.ndarray) -> Slices:
        return Slices(
            self.X[index],
            self.y[index],
            self.rows[index],
            self.cols[index],
            self.dates[index],
            self.size,
            self.band_names,
        )

    @property
    def n_positive(self) -> int:
        return int(self.y.sum())

    @property
    def n_negative(self) -> int:
        return len(self) - self.n_positive

    @classmethod
    def empty(cls, size: int, band_names: tuple[str, ...]) -> Slices:
        int64 = np.zeros(0, np.int64)
        x = np.zeros((0, len(band_names), size, size), np.float32)
        return cls(x, int64, int64.copy(), int64.copy(), np.zeros(0, "datetime64[D]"), size, band_names)

    @classmethod
    def concat(cls, parts: list[Slices]) -> Slices:
        """One set from several (same size and bands); at least one part."""
        if not parts:
            raise ValueError("Slices.concat needs at least one part")
        first = parts[0]
        if any(p.size != first.size or p.band_names != first.band_names for p in parts):
            raise ValueError("Slices.concat: every part must have the same slice size and band names")
        return cls(
            np.concatenate([p.X for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.rows for p in parts]),
            np.concatenate([p.cols for p in parts]),
            np.concatenate([p.dates for p in parts]),
            first.size,
            first.band_names,
        )


@dataclass(frozen=True)
class SliceCut:
    """What :func:`cut_slices` gives: the kept ``slices`` and the ``counts`` of kept and dropped windows."""

    slices: Slices
    counts: SliceCounts
    taken: date | None


def _window_sums(image: np.ndarray, size: int, step: int) -> np.ndarray:
    """Sum over every size x size window whose top-left is a multiple of ``step``: (nr, nc) int64."""
    table = np.zeros((image.shape[0] + 1, image.shape[1] + 1), np.int64)
    table[1:, 1:] = image.astype(np.int64).cumsum(0).cumsum(1)
    r = np.arange(0, image.shape[0] - size + 1, step)
    c = np.arange(0, image.shape[1] - size + 1, step)
    rr, cc = np.ix_(r, c)
    return table[rr + size, cc + size] - table[rr, cc + size] - table[rr + size, cc] + table[rr, cc]


def cut_slices(scene: Scene, mask: np.ndarray, config: SliceConfig) -> SliceCut:
    """Cut the labelled slices of ``scene`` (C, H, W) with land-cover ``mask`` (H, W) class ids, 0 = not labelled."""
    if mask.shape != scene.shape:
        raise TerrainDataError(
            f"{scene.path}: mask is {mask.shape}, the scene {scene.shape} — pair each scene with its own mask"
        )
    s, step = config.size, config.step
    if s > min(scene.shape):
        raise TerrainDataError(f"{scene.path}: slice size {s} px is larger than the scene {scene.shape}")
    valid = scene.valid
    labelled = (mask > 0) & valid
    quarry = (mask == config.quarry_class) & valid
    n_valid = _window_sums(valid, s, step)
    n_labelled = _window_sums(labelled, s, step)
    n_quarry = _window_sums(quarry, s, step)

    area = s * s
    invalid = n_valid < config.min_valid * area - 1e-9
    unlabelled = ~invalid & (n_labelled < config.min_labelled * area - 1e-9)
    usable = ~invalid & ~unlabelled
    share = np.divide(n_quarry, n_labelled, out=np.zeros(n_quarry.shape, np.float64), where=n_labelled > 0)
    positive = usable & (share >= config.positive_share)
    negative = usable & (share <= config.negative_share)
    kept = positive | negative

    wr, wc = np.nonzero(kept)
    rows, cols = (wr * step).astype(np.int64), (wc * step).astype(np.int64)
    offsets = np.arange(s)
    X = scene.bands[:, rows[:, None, None] + offsets[None, :, None], cols[:, None, None] + offsets[None, None, :]]
    X = np.ascontiguousarray(np.moveaxis(X, 0, 1), dtype=np.float32)  # (N, C, s, s)
    taken = np.datetime64(scene.taken, "D") if scene.taken is not None else np.datetime64("NaT", "D")
    slices = Slices(X, positive[wr, wc].astype(np.int64), rows, cols, np.full(len(rows), taken), s, scene.band_names)
    counts = SliceCounts(
        windows=int(kept.size),
        positive=int(positive.sum()),
        negative=int(negative.sum()),
        ambiguous=int((usable & ~kept).sum()),
        unlabelled=int(unlabelled.sum()),
        invalid=int(invalid.sum()),
    )
    return SliceCut(slices, counts, scene.taken)
