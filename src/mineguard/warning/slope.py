"""The one home of the ordinary least-squares line: its slope (vectorised) and a 1-D fit.

    b = Sxy / Sxx,   Sxy = sum (x - mean x)(y - mean y),   Sxx = sum (x - mean x)^2,
    a = mean y - b mean x,   s = sqrt(RSS / (n - 2))

``ols_slope`` fits every line along one axis of an array at once: the trend risk model and the
learned one's features (``warning/risk/``, through ``fit_line``), the forecasting baselines and the window
features (``warning/forecast.py``, ``warning/window_features.py``) call it. ``fit_line`` adds what a
prediction interval needs (intercept, residual sd, mean of x, Sxx) for one series. ``slope_of`` is
the same slope for one short line of Python floats, for the rule engine's rising / falling rates
(``warning/rules/engine.py``), where array set-up would cost more than the fit.

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
