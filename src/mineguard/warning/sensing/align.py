"""Temporal alignment onto a common clock and windowing for models (seed 003 §3.1).

Sensors report at their own rates and drop out. :func:`resample` puts one series on a regular
grid, holding the last reading for at most ``max_hold_s`` and giving NaN after that — a gap stays
visible instead of being papered over. :func:`align` stacks several series on one grid and
:func:`windows` cuts the (T, S) matrix into model inputs. Grid points are multiples of ``step_s``
since the epoch, and every grid value uses only readings at or before its time (no look-ahead).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mineguard.warning.sensing._series import check_series, scalar_seconds, seconds_to_time

Method = Literal["last", "mean"]


def _grid(start: float, end: float, step_s: float) -> np.ndarray:
    """Grid seconds k * step_s in [start, end)."""
    if not step_s > 0:
        raise ValueError(f"step_s must be > 0, got {step_s}")
    if end < start:
        raise ValueError(f"end is before start ({end} < {start} s) — swap them")
    first, stop = math.ceil(start / step_s), math.ceil(end / step_s)
    return np.arange(first, stop, dtype=np.float64) * step_s


def _resample_seconds(
    secs: np.ndarray, vals: np.ndarray, grid: np.ndarray, step_s: float, method: Method, max_hold_s: float
) -> np.ndarray:
    keep = np.isfinite(vals)  # NaN readings are not readings: they neither fill nor hold
    secs, vals = secs[keep], vals[keep]
    out = np.full(grid.shape, np.nan)
    if secs.size == 0 or grid.size == 0:
        return out
    last = np.searchsorted(secs, grid, side="right") - 1  # last reading at or before each grid point
    has = last >= 0
    age = np.where(has, grid - secs[np.maximum(last, 0)], np.inf)
    fresh = age <= max_hold_s
    if method == "last":
        out[fresh] = vals[last[fresh]]
        return out
    if method != "mean":
        raise ValueError(f"method must be 'last' or 'mean', got {method!r}")
    # Bin k holds readings in (grid[k] - step_s, grid[k]]; an empty bin holds the previous bin mean.
    bins = np.searchsorted(grid, secs, side="left")
    inside = (bins < grid.size) & (secs > grid[np.minimum(bins, grid.size - 1)] - step_s)
    count = np.bincount(bins[inside], minlength=grid.size)
    total = np.bincount(bins[inside], weights=vals[inside], minlength=grid.size)
    filled = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = total / count
    src = np.where(filled, np.arange(grid.size), -1)
    src = np.maximum.accumulate(src)  # index of the latest non-empty bin at or before k
    ok = fresh & (src >= 0)
    out[ok] = means[src[ok]]
    return out


def resample(
    t: np.ndarray,
    values: np.ndarray,
    *,
    start: object,
    end: object,
    step_s: float,
    method: Method = "last",
    max_hold_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One series on a regular grid: (grid_t (T,), values (T,) float64, NaN where no fresh reading).

    t: (N,) datetime64 or float seconds, sorted; start/end of the same type, grid is [start, end).
    method "last": the latest reading at or before each grid point; "mean": the mean of readings
    in (grid - step_s, grid]. Either way a value is held forward only while the latest reading is
    at most ``max_hold_s`` old (default: ``step_s``), then NaN until readings resume.
    """
    secs, vals, is_dt = check_series(t, values)
    grid = _grid(scalar_seconds(start, is_dt, "start"), scalar_seconds(end, is_dt, "end"), step_s)
    hold = step_s if max_hold_s is None else max_hold_s
    return seconds_to_time(grid, is_dt), _resample_seconds(secs, vals, grid, step_s, method, hold)


def align(
    series: dict[str, tuple[np.ndarray, np.ndarray]],
    step_s: float,
    *,
    start: object | None = None,
    end: object | None = None,
    method: Method = "last",
    max_hold_s: float | dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Several series on one clock: (grid_t (T,), matrix (T, S) float64, names (S,)).

    series: name -> (t, values), all with the same time type. start/end default to the span of
    all readings (the grid covers the last reading), so a series missing at either end is NaN
    there. max_hold_s: one value for all, or per name (a slow sensor may hold longer); default
    ``step_s``. Column order follows ``series``.
    """
    if not series:
        raise ValueError("align needs at least one series — pass {name: (t, values)}")
    checked = {name: check_series(t, v) for name, (t, v) in series.items()}
    kinds = {is_dt for _, _, is_dt in checked.values()}
    if len(kinds) != 1:
        raise TypeError("series mix datetime64 and float-second times — convert them to one type")
    is_dt = kinds.pop()
    nonempty = [s for s, _, _ in checked.values() if s.size]
    lo = min((s[0] for s in nonempty), default=0.0) if start is None else scalar_seconds(start, is_dt, "start")
    hi = max((s[-1] for s in nonempty), default=lo) + step_s if end is None else scalar_seconds(end, is_dt, "end")
    grid = _grid(lo, hi, step_s)
    names = list(series)
    matrix = np.full((grid.size, len(names)), np.nan)
    for j, name in enumerate(names):
        secs, vals, _ = checked[name]
        hold = max_hold_s.get(name, step_s) if isinstance(max_hold_s, dict) else max_hold_s
        matrix[:, j] = _resample_seconds(secs, vals, grid, step_s, method, step_s if hold is None else hold)
    return seconds_to_time(grid, is_dt), matrix, names


def windows(matrix: np.ndarray, size: int, stride: int = 1) -> np.ndarray:
    """(W, size, S) windows of a (T, S) matrix, W = (T - size) // stride + 1 (0 when T < size).

    Returns a read-only view (no copy); call ``.copy()`` before writing into it.
    """
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ValueError(f"matrix must be (T, S), got shape {arr.shape} — reshape one series with x.reshape(-1, 1)")
    if size < 1 or stride < 1:
        raise ValueError(f"size and stride must be >= 1, got size={size}, stride={stride}")
    if arr.shape[0] < size:
        return np.empty((0, size, arr.shape[1]), dtype=arr.dtype)
    view = sliding_window_view(arr, size, axis=0)[::stride]  # (W, S, size)
    return np.moveaxis(view, -1, 1)
