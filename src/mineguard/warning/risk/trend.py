"""The baseline risk model: a straight line through the last ``window_s`` of readings.

Ordinary least squares gives the slope ``b`` and the expected value at the horizon
``y_h = a + b x_h``; its standard deviation is the textbook prediction interval

    sd_h = s * sqrt(1 + 1/n + (x_h - mean(x))^2 / Sxx),   s^2 = RSS / (n - 2)

(with a floor of ``min_sd`` in the sensor's unit, so a perfectly smooth series is not over-trusted).
Under ``min_span_s`` of history (2 min by default) the model says nothing: the slope of a few
seconds of noise, extrapolated ten minutes, is a coin toss with a confident face.
The probability of being past the limit at the horizon is ``1 - Phi((limit - y_h) / sd_h)`` for a
maximum (mirrored for a minimum), and the expected path crosses the limit after
``(limit - y_last) / b`` when it heads that way. Simple and explainable: it is the yardstick the
learned forecasters of seed 003 have to beat.
"""

from __future__ import annotations

import math

import numpy as np

from mineguard.warning.risk.base import Direction, RiskAssessment, finite_series, register_risk_model
from mineguard.warning.slope import fit_line


class TrendModel:
    name = "trend"

    def __init__(
        self,
        *,
        window_s: float = 300.0,
        horizon_s: float = 600.0,
        min_samples: int = 5,
        min_span_s: float = 120.0,
        min_sd: float = 0.01,
    ) -> None:
        if window_s <= 0 or horizon_s <= 0:
            raise ValueError(f"window_s and horizon_s must be > 0, got {window_s} and {horizon_s}")
        if min_samples < 3:
            raise ValueError(f"min_samples must be at least 3 to estimate a spread, got {min_samples}")
        if not 0 <= min_span_s <= window_s:
            raise ValueError(f"min_span_s must be in [0, window_s={window_s}], got {min_span_s}")
        self.window_s, self.horizon_s, self.min_samples, self.min_sd = window_s, horizon_s, min_samples, min_sd
        self.min_span_s = min_span_s

    def assess(
        self, t_s: np.ndarray, values: np.ndarray, *, limit: float, op: Direction = ">="
    ) -> RiskAssessment | None:
        t, y = finite_series(t_s, values)
        if t.size == 0:
            return None
        recent = t >= t[-1] - self.window_s
        t, y = t[recent], y[recent]
        n = t.size
        x = (t - t[-1]) / 60.0  # minutes, 0 at the latest reading
        line = fit_line(x, y)
        if n < self.min_samples or line.sxx == 0.0 or t[-1] - t[0] < self.min_span_s:
            return None  # too little history to extrapolate (10 s of noise says nothing about 10 min)
        slope = line.slope
        x_h = self.horizon_s / 60.0
        predicted = line.intercept + slope * x_h
        sd = max(line.resid_sd * math.sqrt(1.0 + 1.0 / n + (x_h - line.x_mean) ** 2 / line.sxx), self.min_sd)
        z = (limit - predicted) / sd if op == ">=" else (predicted - limit) / sd
        probability = 0.5 * math.erfc(z / math.sqrt(2.0))
        last = float(y[-1])
        gap = limit - last
        if (op == ">=" and last >= limit) or (op == "<=" and last <= limit):
            minutes: float | None = 0.0
        elif slope != 0.0 and gap / slope > 0:
            minutes = gap / slope
        else:
            minutes = None
        return RiskAssessment(self.name, last, slope, self.horizon_s, predicted, sd, limit, op, probability, minutes)


@register_risk_model("trend")
def trend(**kwargs: float) -> TrendModel:
    return TrendModel(**kwargs)  # type: ignore[arg-type]
