"""Prediction intervals of a point forecaster by split conformal prediction on its residuals.

Split conformal (Vovk et al. 2005; Lei et al. 2018, "Distribution-free predictive inference for
regression", JASA, §2.2 and, for the scaled scores, §5.2 "locally weighted"): hold out a calibration
set the model never trained on, take the scores r_i = (y_i - yhat_i) / s_i with a local scale s_i
known at the forecast origin, and for a level 1 - a take their empirical a/2 and 1 - a/2 quantiles
with the finite-sample correction, ceil((n + 1)(1 - a/2)) / n. The interval is then
[yhat + q_lo s, yhat + q_hi s]. Signed quantiles (not |r|) let the band be asymmetric: dust spikes
go up far more than down. With exchangeable windows it covers 1 - a of new ones on average; time
series are not exchangeable, so the coverage on a later test period is measured, not promised.

Everything is per (horizon, sensor) cell: ``lo`` and ``hi`` are (Q, H, K) for Q levels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """The coverage levels as a sorted tuple; ValueError unless each is strictly between 0 and 1."""
    out = tuple(sorted({float(v) for v in levels}))
    if not out or any(not (0.0 < v < 1.0) or math.isnan(v) for v in out):
        raise ValueError(f"interval levels must be coverages strictly between 0 and 1, e.g. 0.8, 0.95; got {levels}")
    return out


@dataclass(frozen=True)
class PredictionIntervals:
    """Central prediction intervals at each of ``levels``: ``lower``, ``upper`` (Q, N, H, K) in sensor units."""

    levels: tuple[float, ...]
    lower: np.ndarray
    upper: np.ndarray

    def at(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper), each (N, H, K), of the interval at ``level``."""
        for i, v in enumerate(self.levels):
            if math.isclose(v, level):
                return self.lower[i], self.upper[i]
        raise ValueError(f"no {level} interval — these were computed: {self.levels}")


@dataclass(frozen=True)
class SplitConformal:
    """Quantiles of the scaled signed residuals per level and cell: ``lo``, ``hi`` (Q, H, K); ``n`` scores."""

    levels: tuple[float, ...]
    lo: np.ndarray
    hi: np.ndarray
    n: int

    @classmethod
    def fit(cls, residuals: np.ndarray, levels: Sequence[float], *, scale: np.ndarray | None = None) -> SplitConformal:
        """``residuals`` (N, H, K) = truth - forecast on calibration windows; ``scale`` (N, H, K) or (N, 1, K), > 0."""
        levels = check_levels(levels)
        r = np.asarray(residuals, dtype=float)
        if r.ndim != 3 or r.shape[0] < 2:
            raise ValueError(f"calibration residuals must be (N, H, K) with N >= 2, got {r.shape}")
        scores = r / (1.0 if scale is None else np.asarray(scale, dtype=float))
        n = scores.shape[0]
        ordered = np.sort(scores, axis=0)
        lo, hi = [], []
        for level in levels:
            a = 1.0 - level  # order statistics k_lo = floor((n+1) a/2), k_hi = ceil((n+1)(1-a/2)), clipped to 1..n
            k_lo = min(max(math.floor((n + 1) * a / 2 + 1e-9), 1), n)  # 1e-9: 1 - 0.8 is 0.19999...
            k_hi = min(max(math.ceil((n + 1) * (1.0 - a / 2) - 1e-9), 1), n)
            lo.append(ordered[k_lo - 1])
            hi.append(ordered[k_hi - 1])
        return cls(levels, np.stack(lo), np.stack(hi), n)

    def interval(self, point: np.ndarray, *, scale: np.ndarray | None = None) -> PredictionIntervals:
        """Intervals about ``point`` (N, H, K) forecasts; ``scale`` as in ``fit`` (None if fitted without)."""
        s = 1.0 if scale is None else np.asarray(scale, dtype=float)
        point = np.asarray(point, dtype=float)
        lower = point[None] + self.lo[:, None] * s
        upper = point[None] + self.hi[:, None] * s
        return PredictionIntervals(self.levels, lower, upper)
