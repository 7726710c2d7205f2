"""A train / validation / test split of crack patches that does not flatter: no photograph on two sides.

Patches cut from one wall photograph look alike (same bricks, mortar, light); a random split puts
such siblings on both sides and the test scores measure recall of the wall, not of cracks. What
``cracks/brickwork_cls`` shows (``benchmarks/crack_patches.py`` measures it):

* **Near-duplicates**: a few pairs correlate at >= 0.9 on 16 x 16 area-downscaled grey (some at
  1.0), always within a few file numbers of each other and within one class.
* **File numbers follow the photographs**: ``Positive/`` and ``Negative/`` share one numbering
  (00001-00351, 269 numbers in both folders); the mean colour of neighbouring numbers differs far
  less than of random pairs (median distance 12 at lag 1, 27 at lag 8, 44 at lag 30, ~55 between
  random pairs), across the two classes too, with jumps where a new wall starts (e.g. after 8 and
  189 in both folders). So a patch's number says which photograph (series) it comes from.

:func:`patch_groups` therefore joins (union-find) every patch with (1) the patches of its block of
``sequence_block`` consecutive file numbers, both classes together, and (2) every near-duplicate
(fingerprint correlation >= ``duplicate_corr``, any number, any class). :func:`split_patches` puts
whole groups on one side, seeded, stratified by class (greedy: each group in random order goes to
the side whose crack / no-crack counts it brings closest to their targets), then drops the held-out
patches within ``buffer`` file numbers of a patch on a side earlier in train > val > test (a photo
that straddles a block boundary). :func:`check_no_overlap` raises if any group is on two sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mineguard.terrain.cracks import CrackPatches
from mineguard.terrain.raster import TerrainDataError

SIDES: tuple[str, ...] = ("train", "val", "test")
DROPPED = -1
_NUMBER = re.compile(r"(\d+)(?!.*\d)")


@dataclass(frozen=True)
class CrackSplitConfig:
    """``sequence_block`` None: file numbers are not used (only near-duplicates are grouped)."""

    val_fraction: float = 0.2
    test_fraction: float = 0.2
    seed: int = 0
    duplicate_corr: float = 0.9
    sequence_block: int | None = 20
    buffer: int = 2

    def __post_init__(self) -> None:
        if not (min(self.val_fraction, self.test_fraction) > 0 and self.val_fraction + self.test_fraction < 1):
            raise ValueError("val_fraction and test_fraction must be > 0 and sum to less than 1")
        if not 0 < self.duplicate_corr <= 1:
            raise ValueError(f"duplicate_corr must lie in (0, 1], got {self.duplicate_corr}")
        if (self.sequence_block is not None and self.sequence_block < 1) or self.buffer < 0:
            raise ValueError("sequence_block must be >= 1 (or None) and buffer >= 0")


@dataclass(frozen=True)
class CrackSplit:
    """``sides`` (N,) int: 0 train, 1 val, 2 test, -1 dropped by the buffer; ``groups`` (N,) int."""

    sides: np.ndarray
    groups: np.ndarray
    duplicate_pairs: np.ndarray

    def index(self, side: str) -> np.ndarray:
        return np.flatnonzero(self.sides == SIDES.index(side))

    def summary(self, y: np.ndarray) -> dict[str, object]:
        out: dict[str, object] = {}
        for k, side in enumerate(SIDES):
            at = self.sides == k
            out[side] = {"crack": int(y[at].sum()), "no_crack": int((y[at] == 0).sum()), "groups": _count(self, at)}
        out["dropped_by_buffer"] = int((self.sides == DROPPED).sum())
        out["near_duplicate_pairs"] = len(self.duplicate_pairs)
        return out


def _count(split: CrackSplit, at: np.ndarray) -> int:
    return len(np.unique(split.groups[at]))


def file_number(name: str) -> int | None:
    """The last run of digits in a file name's stem (``Positive/00042.jpg`` -> 42), None without one."""
    match = _NUMBER.search(name.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    return int(match.group(1)) if match else None


def near_duplicate_pairs(fingerprints: np.ndarray, threshold: float, *, chunk: int = 1024) -> np.ndarray:
    """(P, 2) int64 pairs i < j whose fingerprints (N, F), zero-mean unit-norm, correlate >= ``threshold``."""
    pairs = []
    for start in range(0, len(fingerprints), chunk):
        corr = fingerprints[start : start + chunk] @ fingerprints.T
        i, j = np.nonzero(corr >= threshold)
        i = i + start
        keep = i < j
        pairs.append(np.stack([i[keep], j[keep]], axis=1))
    return np.concatenate(pairs).astype(np.int64) if pairs else np.zeros((0, 2), np.int64)


def _union_find(n: int, pairs: np.ndarray) -> np.ndarray:
    parent = np.arange(n)

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in pairs:
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(a) for a in range(n)])
    return np.unique(roots, return_inverse=True)[1]


def patch_groups(patches: CrackPatches, config: CrackSplitConfig, duplicates: np.ndarray | None = None) -> np.ndarray:
    """(N,) int64 group id: joined by the same ``sequence_block`` of file numbers and by near-duplicates."""
    links = [near_duplicate_pairs(patches.fingerprints, config.duplicate_corr) if duplicates is None else duplicates]
    if config.sequence_block is not None:
        numbers = [file_number(name) for name in patches.names]
        blocks: dict[int, list[int]] = {}
        for i, number in enumerate(numbers):
            if number is not None:
                blocks.setdefault(number // config.sequence_block, []).append(i)
        for members in blocks.values():
            links.append(np.stack([np.full(len(members) - 1, members[0]), members[1:]], axis=1))
    return _union_find(len(patches), np.concatenate(links).astype(np.int64).reshape(-1, 2))


def _assign(groups: np.ndarray, y: np.ndarray, config: CrackSplitConfig) -> np.ndarray:
    fractions = np.array([1 - config.val_fraction - config.test_fraction, config.val_fraction, config.test_fraction])
    totals = np.array([(y == 1).sum(), (y == 0).sum()], np.float64)
    targets = fractions[:, None] * totals[None, :]  # (side, class)
    counts = np.zeros_like(targets)
    side_of_group = np.zeros(groups.max() + 1, np.int64)
    for g in np.random.default_rng(config.seed).permutation(groups.max() + 1):
        at = groups == g
        brings = np.array([(y[at] == 1).sum(), (y[at] == 0).sum()], np.float64)
        cost = [(((counts + np.eye(3)[k][:, None] * brings - targets) / totals) ** 2).sum() for k in range(3)]
        side_of_group[g] = int(np.argmin(cost))
        counts[side_of_group[g]] += brings
    return side_of_group[groups]


def _buffer(sides: np.ndarray, names: tuple[str, ...], buffer: int) -> np.ndarray:
    numbers = np.array([-1 if (n := file_number(name)) is None else n for name in names])
    out = sides.copy()
    for i in np.flatnonzero((sides > 0) & (numbers >= 0)):
        near = (np.abs(numbers - numbers[i]) <= buffer) & (numbers >= 0) & (sides >= 0) & (sides < sides[i])
        if near.any():
            out[i] = DROPPED
    return out


def split_patches(patches: CrackPatches, config: CrackSplitConfig | None = None) -> CrackSplit:
    """Whole groups to train / val / test, stratified by class; raises if a side lacks a class."""
    config = config or CrackSplitConfig()
    duplicates = near_duplicate_pairs(patches.fingerprints, config.duplicate_corr)
    groups = patch_groups(patches, config, duplicates)
    sides = _assign(groups, patches.y, config)
    if config.buffer and config.sequence_block is not None:
        sides = _buffer(sides, patches.names, config.buffer)
    split = CrackSplit(sides, groups, duplicates)
    check_no_overlap(split.groups, split.sides)
    for k, side in enumerate(SIDES):
        if len(np.unique(patches.y[sides == k])) < 2:
            raise TerrainDataError(
                f"the {side} side has {len(np.unique(groups))} groups to draw from and holds one class only — "
                "lower sequence_block, or add patches from more photographs"
            )
    return split


def check_no_overlap(groups: np.ndarray, sides: np.ndarray) -> None:
    """Raise ``TerrainDataError`` when any group has patches on two sides (dropped patches ignored)."""
    kept = sides != DROPPED
    for g in np.unique(groups[kept]):
        on = np.unique(sides[kept & (groups == g)])
        if len(on) > 1:
            raise TerrainDataError(
                f"group {int(g)} sits on {[SIDES[s] for s in on]} — near-duplicates or one photograph's patches "
                "would be scored on what they were trained on; assign whole groups to one side"
            )
