"""Supervised forecasting windows on a regular sensor clock, and the split by time (seed 003 §3.3).

Works on the ``RegularSeries`` of ``series`` (readings on a clock with ``observed`` / ``filled``
masks); a step missing from the clock is never interpolated here either:

1. ``make_windows`` cuts supervised windows (``input_steps`` inputs, targets ``horizons`` steps
   after the last input). A window touching a long gap is DROPPED, not masked: every input step
   is observed or short-filled, and (by default) every target is an observed reading, so no
   model is ever scored against an interpolated value.
2. ``split_by_time`` splits windows into train / val / test by time. The fractions are of the
   windowable (observed) time, not calendar time, and a window that spans a boundary (inputs on
   one side, any target on the other) is dropped, so nothing leaks across.
3. ``latest_window`` is the one window ending now, for a live forecast (e.g. behind a ``RiskModel``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from mineguard.warning.series import RegularSeries, SeriesError


@dataclass(frozen=True)
class Windows:
    """Supervised forecasting windows on a regular clock.

    ``x`` (N, L, S) inputs in sensor units, step ``L-1`` at ``t_origin_s`` (when the forecast is made);
    ``y`` (N, H, K) targets: sensor ``targets[k]`` at ``t_origin_s + horizons[h] * step_s``.
    """

    x: np.ndarray
    y: np.ndarray
    t_origin_s: np.ndarray
    step_s: float
    horizons: tuple[int, ...]
    names: tuple[str, ...]
    targets: tuple[int, ...]  # indices into ``names`` of the K forecast sensors

    def __post_init__(self) -> None:
        n = self.t_origin_s.shape[0]
        if self.x.shape[::2] != (n, len(self.names)) or self.y.shape != (n, len(self.horizons), len(self.targets)):
            raise SeriesError(f"windows x {self.x.shape}, y {self.y.shape} and {n} origins do not agree")

    def __len__(self) -> int:
        return int(self.t_origin_s.shape[0])

    @property
    def input_steps(self) -> int:
        return int(self.x.shape[1])

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(self.names[i] for i in self.targets)

    @property
    def last_values(self) -> np.ndarray:
        """(N, K) the latest input reading of each target sensor."""
        return self.x[:, -1, list(self.targets)]

    @property
    def t_first_s(self) -> np.ndarray:
        """(N,) time of the first input step."""
        return self.t_origin_s - (self.input_steps - 1) * self.step_s

    @property
    def t_last_s(self) -> np.ndarray:
        """(N,) time of the furthest target."""
        return self.t_origin_s + max(self.horizons) * self.step_s

    @property
    def input_t_s(self) -> np.ndarray:
        """(N, L) time of every input step."""
        return self.t_first_s[:, None] + self.step_s * np.arange(self.input_steps)

    def select(self, keep: np.ndarray) -> Windows:
        """The windows picked by a boolean mask (N,) or an index array."""
        return replace(self, x=self.x[keep], y=self.y[keep], t_origin_s=self.t_origin_s[keep])

    def thin(self, max_windows: int) -> Windows:
        """At most ``max_windows`` windows, evenly spaced in time (all of them if there are fewer)."""
        if len(self) <= max_windows:
            return self
        return self.select(np.unique(np.linspace(0, len(self) - 1, max_windows).round().astype(np.int64)))


def make_windows(
    grid: RegularSeries,
    *,
    input_steps: int,
    horizons: Sequence[int],
    targets: Sequence[str],
    stride: int = 1,
    observed_targets: bool = True,
) -> Windows:
    """Every window of ``grid`` whose inputs are all valid (observed or short-filled) and whose targets
    are all observed (``observed_targets``; else valid). A window touching a long gap is dropped."""
    horizons = tuple(int(h) for h in horizons)
    if input_steps < 1 or not horizons or min(horizons) < 1 or stride < 1:
        raise SeriesError(f"need input_steps >= 1, horizons >= 1, stride >= 1; got {input_steps}, {horizons}, {stride}")
    unknown = [t for t in targets if t not in grid.names]
    if unknown:
        raise SeriesError(f"target(s) {unknown} are not sensors of the series — choose from {grid.names}")
    target_idx = tuple(grid.names.index(t) for t in targets)
    n_steps, furthest = grid.values.shape[0], max(horizons)
    origins = np.arange(input_steps - 1, n_steps - furthest, stride)
    if origins.size == 0:
        return _empty_windows(grid, input_steps, horizons, target_idx)
    bad_input = np.concatenate([[0], np.cumsum(~grid.valid.all(axis=1))])
    ok = bad_input[origins + 1] - bad_input[origins + 1 - input_steps] == 0
    target_ok = (grid.observed if observed_targets else grid.valid)[:, list(target_idx)].all(axis=1)
    for h in horizons:
        ok &= target_ok[origins + h]
    origins = origins[ok]
    x = grid.values[origins[:, None] + np.arange(1 - input_steps, 1)]
    y = grid.values[origins[:, None] + np.array(horizons)][:, :, list(target_idx)]
    return Windows(x, y, grid.t0_s + grid.step_s * origins, grid.step_s, horizons, grid.names, target_idx)


def latest_window(
    grid: RegularSeries, *, input_steps: int, horizons: Sequence[int], targets: Sequence[str]
) -> Windows | None:
    """The one window ending at the grid's last step, to forecast live (``y`` is NaN: the future is
    unknown); None when any of its input steps is missing. The path a ``RiskModel`` adapter takes."""
    unknown = [t for t in targets if t not in grid.names]
    if unknown or input_steps < 1 or not horizons or min(horizons) < 1:
        raise SeriesError(f"need known targets (unknown: {unknown}), input_steps >= 1 and horizons >= 1")
    if grid.values.shape[0] < input_steps or not grid.valid[-input_steps:].all():
        return None
    horizons, target_idx = tuple(int(h) for h in horizons), tuple(grid.names.index(t) for t in targets)
    y = np.full((1, len(horizons), len(target_idx)), np.nan)
    return Windows(grid.values[None, -input_steps:], y, grid.t_s[-1:], grid.step_s, horizons, grid.names, target_idx)


def _empty_windows(
    grid: RegularSeries, input_steps: int, horizons: tuple[int, ...], targets: tuple[int, ...]
) -> Windows:
    x, y = np.zeros((0, input_steps, len(grid.names))), np.zeros((0, len(horizons), len(targets)))
    return Windows(x, y, np.zeros(0), grid.step_s, horizons, grid.names, targets)


@dataclass(frozen=True)
class TimeSplit:
    """Windows split by time: every train window ends before ``val_start_s``; every test window
    starts at or after ``test_start_s``; ``n_dropped`` windows spanned a boundary."""

    train: Windows
    val: Windows
    test: Windows
    val_start_s: float
    test_start_s: float
    n_dropped: int


def split_by_time(
    windows: Windows,
    *,
    fractions: tuple[float, float, float] = (0.7, 0.1, 0.2),
    boundaries: tuple[float, float] | None = None,
) -> TimeSplit:
    """Split by time at ``boundaries`` (epoch s) or, by default, at the ``fractions`` quantiles of the
    window origins (fractions of windowable time, so a month with no data counts for nothing)."""
    if len(windows) == 0:
        raise SeriesError("no windows to split — the series is shorter than one window or all gaps")
    if boundaries is None:
        if len(fractions) != 3 or min(fractions) < 0 or not math.isclose(sum(fractions), 1.0):
            raise SeriesError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        origins = np.sort(windows.t_origin_s)
        cut = np.cumsum(fractions)[:2]
        val_start, test_start = (float(origins[min(int(c * origins.size), origins.size - 1)]) for c in cut)
    else:
        val_start, test_start = map(float, boundaries)
    if val_start > test_start:
        raise SeriesError(f"val starts at {val_start} after test at {test_start} — boundaries must be ascending")
    first, last = windows.t_first_s, windows.t_last_s
    train = last < val_start
    val = (first >= val_start) & (last < test_start)
    test = first >= test_start
    dropped = int(len(windows) - train.sum() - val.sum() - test.sum())
    return TimeSplit(windows.select(train), windows.select(val), windows.select(test), val_start, test_start, dropped)
