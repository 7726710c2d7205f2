"""The one home of the ordinary least-squares line: its slope (vectorised) and a 1-D fit.

    b = Sxy / Sxx,   Sxy = sum (x - mean x)(y - mean y),   Sxx = sum (x - mean x)^2,
    a = mean y - b mean x,   s = sqrt(RSS / (n - 2))

``ols_slope`` fits every line along one axis of an array at once: the trend risk model and the
learned one's features (``warning/risk/``, through ``fit_line``), the forecasting baselines and the window
features (``warning/forecast.py``, ``warning/window_features.py``) call it. ``fit_line`` adds what a
prediction interval needs (intercept, residual sd, mean of x, Sxx) for one series. ``slope_of`` is
the same slope for one short line of Python floats, where array set-up would cost more than the fit;
``RunningSlope`` keeps it for a sliding window from running sums (the rule engine's rising / falling
rates, ``warning/rules/signal_series.py``: O(1) a call however many points the window holds).

The slope is in units of ``y`` per unit of ``x``: pass minutes to get a rate per minute. Epoch
seconds work (means are subtracted first), but times relative to the window keep the sums better
conditioned. ``warning/sensing/health.py`` keeps its Theil-Sen slope (a median of pairwise
slopes, robust to spikes): a different estimator, not a copy of this one.

Undefined lines are NaN, never an exception: fewer than 2 points, or all ``x`` equal (Sxx = 0).
NaNs: ``nan_policy="propagate"`` (default) gives NaN for any line holding one, like ``np.mean``;
``"omit"`` fits the points where both ``x`` and ``y`` are finite, like ``np.nanmean``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

NanPolicy = Literal["propagate", "omit"]


def ols_slope(x: np.ndarray, y: np.ndarray, *, axis: int = -1, nan_policy: NanPolicy = "propagate") -> np.ndarray:
    """Least-squares slope of ``y`` on ``x`` along ``axis``.

    ``y``: any shape; ``x``: the same shape, or 1-D with ``y.shape[axis]`` points (shared by every
    line). Returns ``y``'s shape without ``axis`` (a 0-d array for 1-D input; ``float()`` it), NaN
    where the line is undefined (see the module docstring).
    """
    if nan_policy not in ("propagate", "omit"):
        raise ValueError(f"nan_policy must be 'propagate' or 'omit', got {nan_policy!r}")
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if y.ndim == 0:
        raise ValueError("y must have at least one axis of points, got a scalar")
    axis = axis % y.ndim
    if x.ndim == 1 and y.ndim > 1:
        if x.shape[0] != y.shape[axis]:
            raise ValueError(f"x has {x.shape[0]} points but y has {y.shape[axis]} along axis {axis}")
        x = x.reshape([-1 if i == axis else 1 for i in range(y.ndim)])
    if nan_policy == "propagate":
        n = y.shape[axis]
        dx = x - x.sum(axis=axis, keepdims=True) / max(n, 1)  # sum / n: np.mean costs more on short lines
        dy = y - y.sum(axis=axis, keepdims=True) / max(n, 1)
        sxx, sxy = (dx * dx).sum(axis=axis), (dx * dy).sum(axis=axis)
        enough: bool | np.ndarray = n >= 2
    else:
        x, y = np.broadcast_arrays(x, y)
        ok = np.isfinite(x) & np.isfinite(y)
        counts = ok.sum(axis=axis, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            dx = np.where(ok, x - np.where(ok, x, 0.0).sum(axis=axis, keepdims=True) / counts, 0.0)
            dy = np.where(ok, y - np.where(ok, y, 0.0).sum(axis=axis, keepdims=True) / counts, 0.0)
        sxx, sxy = (dx * dx).sum(axis=axis), (dx * dy).sum(axis=axis)
        enough = np.squeeze(counts, axis=axis) >= 2
    defined = enough & (sxx > 0)
    return np.where(defined, sxy / np.where(defined, sxx, 1.0), np.nan)


def slope_of(xs: Sequence[float], ys: Sequence[float]) -> float:
    """``ols_slope`` for one short line given as Python floats (same result, same NaN rules).

    Pure Python on purpose: the rule engine fits a 20-300 s window of a few dozen samples on
    every evaluation of a rising / falling condition, where building arrays costs more than the
    sums (about 3x slower below ~100 points).
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError(f"xs and ys must have the same length, got {n} and {len(ys)}")
    if n < 2:
        return math.nan
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx > 0:  # all x equal, or a NaN among them
        return math.nan
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


class RunningSlope:
    """The least-squares slope of a sliding window of points, from running sums: O(1) a point and a slope.

    Points arrive in increasing ``x`` (times, in seconds); those more than ``window`` before the newest, or
    before the ``start`` a :meth:`slope` call asks for, leave the window. Sums are kept relative to the
    oldest point (its ``x``, and its ``y`` when finite): a constant series has slope exactly 0. They are
    worked out again from the points whenever as many points have left as the window holds, so rounding
    cannot build up (amortised O(1)). Agrees with :func:`slope_of` within 1e-9 relative on long random
    streams (``tests/warning/rules/test_signal_series.py``). A non-finite ``y`` makes the slope None while it is in
    the window, as it makes :func:`slope_of` NaN.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self.samples: deque[tuple[float, float]] = deque()  # (epoch s, value) in time order
        self.start = -math.inf  # every sample before this time has left the window
        self._recount()

    def _recount(self) -> None:
        """The sums again from the samples, relative to the oldest one (and the oldest finite value)."""
        self.x0 = self.samples[0][0] if self.samples else 0.0
        self.y0 = next((y for _, y in self.samples if math.isfinite(y)), 0.0)
        self.n, self.sx, self.sy, self.sxx, self.sxy = 0, 0.0, 0.0, 0.0, 0.0
        self.not_finite = 0  # values in the window that are NaN or infinite: no slope while any is
        self.removed = 0  # samples taken off since the last recount
        for ts, y in self.samples:
            self._sum(ts, y, 1)

    def _sum(self, ts: float, y: float, sign: int) -> None:
        if not math.isfinite(y):
            self.not_finite += sign
            return
        x, y = ts - self.x0, y - self.y0
        self.n += sign
        self.sx += sign * x
        self.sy += sign * y
        self.sxx += sign * x * x
        self.sxy += sign * x * y

    def add(self, ts: float, y: float) -> None:
        """A sample newer than every other; what is older than ``window`` before it leaves."""
        if not self.samples:
            self.x0, self.y0 = ts, (y if math.isfinite(y) else 0.0)
        self.samples.append((ts, y))
        self._sum(ts, y, 1)
        self._advance(ts - self.window)

    def _advance(self, start: float) -> None:
        samples = self.samples
        while samples and samples[0][0] < start:
            ts, y = samples.popleft()
            self._sum(ts, y, -1)
            self.removed += 1
        self.start = max(self.start, start)
        if self.removed > len(samples):
            self._recount()

    def slope(self, start: float) -> float | None:
        """Slope (``y`` per unit of ``x``) of the points at or after ``start`` (not before an earlier call's
        start); None under two distinct ``x``, or while a ``y`` in the window is not finite."""
        self._advance(start)
        samples = self.samples
        if self.not_finite or len(samples) < 2 or samples[0][0] == samples[-1][0]:
            return None
        sxx = self.sxx - self.sx * self.sx / self.n
        if not sxx > 0:
            return None
        return (self.sxy - self.sx * self.sy / self.n) / sxx


@dataclass(frozen=True)
class LineFit:
    """A least-squares line ``y = intercept + slope * x`` through ``n`` points (NaNs when undefined)."""

    slope: float
    intercept: float
    resid_sd: float  # sqrt(RSS / max(n - 2, 1)), in units of y
    x_mean: float
    sxx: float  # sum (x - x_mean)^2: 0 when every x is the same
    n: int


def fit_line(x: np.ndarray, y: np.ndarray) -> LineFit:
    """The least-squares line through 1-D ``x``, ``y`` (same length, finite: drop NaNs first)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"fit_line needs 1-D x and y of the same length, got {x.shape} and {y.shape}")
    n = int(x.size)
    if n == 0:
        return LineFit(math.nan, math.nan, math.nan, math.nan, 0.0, 0)
    x_mean, y_mean = float(x.mean()), float(y.mean())
    dx = x - x_mean
    sxx = float(dx @ dx)
    slope = float(ols_slope(x, y))
    intercept = y_mean - slope * x_mean
    residual = (y - y_mean) - slope * dx
    resid_sd = math.sqrt(float(residual @ residual) / max(n - 2, 1)) if math.isfinite(slope) else math.nan
    return LineFit(slope, intercept, resid_sd, x_mean, sxx, n)
