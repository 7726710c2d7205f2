"""Temporal alignment onto a common clock and windowing for models (seed 003 §3.1).

Sensors report at their own rates and drop out. :func:`resample` puts one series on a regular
grid, holding the last reading for at most ``max_hold_s`` and giving NaN after that — a gap stays
visible instead of being papered over. :func:`align` stacks several series on one grid and
:func:`windows` cuts the (T, S) matrix into model inputs. Grid points are multiples of ``step_s``
since the epoch, and every grid value uses only readings at or before its time (no look-ahead).

This is the one resampling core (issue 14): :func:`bin_means` (readings to per-cell means and counts,
vectorised with ``searchsorted``) and :func:`fill_short_gaps` (a straight line across short runs of
empty cells) also serve ``warning/series.py``. The two callers differ on purpose, and choose:

- cells: ``"trailing"`` (k = ``(grid[k] - step_s, grid[k]]``, no look-ahead: live use, models fed in
  time order) or ``"centred"`` (k = ``[grid[k] - step_s / 2, grid[k] + step_s / 2)``: offline
  forecasting data sets, a reading belongs to its nearest grid point);
- gaps: *hold* the latest value while the latest reading is at most ``max_hold_s`` old (causal,
  :func:`resample` and :func:`align`) or *fill* a straight line between the flanking observed cells
  when they are at most ``max_fill_s`` apart (looks ahead; ``series.resample`` only).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mineguard.warning.sensing._series import check_series, scalar_seconds, seconds_to_time

Method = Literal["last", "mean"]
Cells = Literal["trailing", "centred"]


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
    means, count = bin_means(secs, vals, grid, step_s, cells="trailing")
    filled = count > 0  # an empty bin holds the previous bin mean
    src = np.where(filled, np.arange(grid.size), -1)
    src = np.maximum.accumulate(src)  # index of the latest non-empty bin at or before k
    ok = fresh & (src >= 0)
    out[ok] = means[src[ok]]
    return out


def bin_means(
    secs: np.ndarray, vals: np.ndarray, grid: np.ndarray, step_s: float, *, cells: Cells = "trailing"
) -> tuple[np.ndarray, np.ndarray]:
    """(means, counts) of the finite readings in each cell of ``grid``; NaN mean where a cell is empty.

    secs (N,) sorted seconds; vals (N,) or (N, S); grid (T,) ascending seconds, ``step_s`` apart.
    Returns arrays of shape (T,) or (T, S). Readings outside every cell are ignored.
    """
    vals = np.asarray(vals, dtype=np.float64)
    shape = (grid.size, *vals.shape[1:])
    total, count = np.zeros(shape), np.zeros(shape)
    if secs.size and grid.size:
        last = grid.size - 1
        if cells == "trailing":
            bins = np.searchsorted(grid, secs, side="left")
            inside = (bins <= last) & (secs > grid[np.minimum(bins, last)] - step_s)
        elif cells == "centred":
            bins = np.searchsorted(grid - step_s / 2, secs, side="right") - 1
            inside = (bins >= 0) & (secs < grid[np.clip(bins, 0, last)] + step_s / 2)
        else:
            raise ValueError(f"cells must be 'trailing' or 'centred', got {cells!r}")
        present = np.isfinite(vals[inside])  # NaN readings are not readings
        np.add.at(total, bins[inside], np.where(present, vals[inside], 0.0))
        np.add.at(count, bins[inside], present)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), count


def fill_short_gaps(values: np.ndarray, observed: np.ndarray, step_s: float, max_fill_s: float) -> np.ndarray:
    """Fill runs of unobserved cells in place by a straight line between the flanking observed cells,
    only where those are at most ``max_fill_s`` apart; returns the (T, S) mask of the filled cells.

    values, observed: (T, S). Cells before the first or after the last observed cell stay as they are.
    """
    n_steps = values.shape[0]
    steps = np.arange(n_steps)[:, None]
    # the observed cell at or before / at or after each step (-1 / n_steps where there is none)
    before = np.maximum.accumulate(np.where(observed, steps, -1), axis=0)
    after = np.minimum.accumulate(np.where(observed, steps, n_steps)[::-1], axis=0)[::-1]
    short = ~observed & (before >= 0) & (after < n_steps) & ((after - before) * step_s <= max_fill_s)
    lo, hi = np.clip(before, 0, n_steps - 1), np.clip(after, 0, n_steps - 1)
    v_lo, v_hi = np.take_along_axis(values, lo, axis=0), np.take_along_axis(values, hi, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        line = (v_hi - v_lo) / (hi - lo) * (steps - lo) + v_lo  # np.interp's formula
    values[short] = line[short]
    return short


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
