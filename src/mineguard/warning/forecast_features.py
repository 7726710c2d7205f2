"""Features of a forecasting window for the tree forecasters, all relative to the latest reading.

``window_features(windows)`` turns (N, L, S) inputs into (N, F) rows, for every input sensor:

- the last ``n_diffs`` one-step differences x[t-i] - x[t-i-1] (the recent path, step by step);
- the change over each lag, x[t] - x[t-lag], for ``lags`` that fit the window;
- for each rolling window of ``spans`` steps: its mean minus x[t] (how far the reading sits from its
  recent level, a mean-reversion cue), its standard deviation (local volatility), and the mean
  absolute one-step change (a spike-robust volatility);
- the window's min and max relative to x[t], the least-squares slope of the last 10 steps, and the
  last change divided by the window's mean absolute change (a scale-free "is this a jump" score);
- the absolute level x[t] only when ``levels`` (trees split on levels memorise the training weeks'
  regimes, which shift: the benchmark's L2 + levels row lost on PM for that reason);

then cross-sensor features (every sensor's last change divided by its own window mean absolute
change, averaged over sensors: a site-wide "something happened" cue) and the time of day (sin, cos
of the UTC clock at the origin). ``feature_names`` gives the column names in the same order.
Shapes: ``windows.x`` (N, L, S) in sensor units; the result (N, F) float64, F from ``feature_names``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mineguard.warning.series_windows import Windows
from mineguard.warning.slope import ols_slope

EPS = 1e-9


@dataclass(frozen=True)
class FeatureSpec:
    """Which window features to compute (every field is a count of grid steps)."""

    n_diffs: int = 5
    lags: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 40)
    spans: tuple[int, ...] = (3, 6, 10, 20, 60)
    levels: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "lags", tuple(int(v) for v in self.lags))  # lists from a JSON file
        object.__setattr__(self, "spans", tuple(int(v) for v in self.spans))
        if self.n_diffs < 0 or any(v < 1 for v in (*self.lags, *self.spans)):
            raise ValueError(f"feature spec needs n_diffs >= 0 and lags, spans >= 1; got {self}")


def _spans(spec: FeatureSpec, steps: int) -> list[int]:
    return sorted({min(s, steps) for s in spec.spans if min(s, steps) >= 2})


def feature_names(names: Sequence[str], steps: int, spec: FeatureSpec = FeatureSpec()) -> list[str]:
    """Column names of ``window_features`` for sensors ``names`` and ``steps`` input steps."""
    out: list[str] = []
    for s in names:
        out += [f"{s}.level"] if spec.levels else []
        out += [f"{s}.diff{i}" for i in range(min(spec.n_diffs, steps - 1))]
        out += [f"{s}.change{lag}" for lag in spec.lags if lag < steps]
        for w in _spans(spec, steps):
            out += [f"{s}.mean{w}-last", f"{s}.std{w}", f"{s}.absdiff{w}"]
        out += [f"{s}.min-last", f"{s}.max-last"]
        out += [f"{s}.slope10"] if min(10, steps) >= 2 else []
        out += [f"{s}.jump"] if steps >= 2 else []
    out += ["all.jump"] if steps >= 2 else []
    return [*out, "tod.sin", "tod.cos"]


def window_features(windows: Windows, spec: FeatureSpec = FeatureSpec()) -> np.ndarray:
    """(N, F) features of ``windows`` (see the module docstring); F = len(feature_names(...))."""
    x = np.asarray(windows.x, dtype=float)
    n, steps, _ = x.shape
    last = x[:, -1, :]
    diffs = np.diff(x, axis=1)  # (N, L-1, S)
    per_sensor: list[list[np.ndarray]] = [[] for _ in range(x.shape[2])]

    def add(block: np.ndarray) -> None:  # block (N, S): one feature of every sensor
        for s in range(block.shape[1]):
            per_sensor[s].append(block[:, s])

    if spec.levels:
        add(last)
    for i in range(min(spec.n_diffs, steps - 1)):
        add(diffs[:, -1 - i, :])
    for lag in spec.lags:
        if lag < steps:
            add(last - x[:, -1 - lag, :])
    for w in _spans(spec, steps):
        tail = x[:, -w:, :]
        add(tail.mean(axis=1) - last)
        add(tail.std(axis=1))
        add(np.abs(diffs[:, -(w - 1) :, :]).mean(axis=1))
    add(x.min(axis=1) - last)
    add(x.max(axis=1) - last)
    m = min(10, steps)
    if m >= 2:
        add(ols_slope(np.arange(m, dtype=float), x[:, -m:, :], axis=1))
    cross: list[np.ndarray] = []
    if steps >= 2:
        jump = diffs[:, -1, :] / (np.abs(diffs).mean(axis=1) + EPS)
        add(jump)
        cross.append(jump.mean(axis=1))
    day = 2 * np.pi * (np.asarray(windows.t_origin_s, dtype=float) % 86400.0) / 86400.0
    columns = [c for sensor in per_sensor for c in sensor] + cross + [np.sin(day), np.cos(day)]
    return np.column_stack(columns) if n else np.zeros((0, len(columns)))
