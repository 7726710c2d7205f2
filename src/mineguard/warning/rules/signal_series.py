"""The rule engine's recent samples of one signal in one zone, and their rate over a time window.

A rising / falling condition asks for the slope of its signal's last ``window_s`` seconds on every
evaluation, and a threshold alert reports the rate over the last five minutes. Walking the window
costs its samples: a zone with many sensors, or sensors sampled fast, makes every evaluation cost
thousands of steps. So each window length asked for keeps running least-squares sums of its samples
(``warning/slope.py`` ``RunningSlope``): a rate costs O(1) however dense the series.
(``warning/series.py`` is another thing: stored series resampled onto a clock, for the models.)
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime

from mineguard.warning.slope import RunningSlope, slope_of

Value = float | bool


class Series:
    """Recent ``(t, value)`` samples of one signal in one zone, pruned to ``keep_s``.

    Times are also kept as epoch seconds. :meth:`slope` keeps a :class:`RunningSlope` per window length
    asked for; a call whose window starts before an earlier call's (a rate at an older time) walks
    back from the newest sample instead (cost: the samples in the window).
    """

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self.samples: deque[tuple[float, datetime, Value]] = deque()
        self.source: str | None = None  # where the newest sample came from
        self.windows: dict[float, RunningSlope] = {}  # window length (s) -> running sums of its samples

    def add(self, t: datetime, value: Value, source: str | None = None) -> bool:
        ts = t.timestamp()
        if self.samples and ts < self.samples[-1][0]:
            return False
        self.samples.append((ts, t, value))
        self.source = source
        while ts - self.samples[0][0] > self.keep_s:
            self.samples.popleft()
        if self.windows:
            y = float(value)
            for window in self.windows.values():
                window.add(ts, y)
        return True

    @property
    def last(self) -> tuple[datetime, Value] | None:
        return self.samples[-1][1:] if self.samples else None

    def slope(self, now: datetime, window_s: float) -> float | None:
        """Least-squares slope per minute of the samples at most ``window_s`` before ``now``."""
        start = now.timestamp() - window_s
        window = self.windows.get(window_s)
        if window is None and window_s <= self.keep_s:
            window = self.windows[window_s] = RunningSlope(window_s)
            for ts, _, v in self.samples:
                window.add(ts, float(v))
        if window is not None and start >= window.start:
            slope = window.slope(start)
            return None if slope is None else slope * 60.0
        return self._walk(start)

    def _walk(self, start: float) -> float | None:
        xs: list[float] = []
        ys: list[float] = []
        for ts, _, v in reversed(self.samples):
            if ts < start:
                break
            xs.append(ts)
            ys.append(float(v))
        return walked_slope(xs, ys)


def walked_slope(ts: list[float], ys: list[float]) -> float | None:
    """Least-squares slope per minute of values ``ys`` at epoch seconds ``ts``."""
    if len(ts) < 2:
        return None
    xm = [(x - ts[0]) / 60.0 for x in ts]  # relative times keep the sums well-conditioned
    slope = slope_of(xm, ys)
    return None if math.isnan(slope) else slope
