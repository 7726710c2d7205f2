"""The recent samples of one signal in one zone, and their least-squares slope over a time window.

A rising / falling condition asks for the slope of its signal's last ``window_s`` seconds on every
evaluation, and a threshold alert reports the rate over the last five minutes. Walking the window
costs its samples: a zone with many sensors, or sensors sampled fast, makes every evaluation cost
thousands of steps. So each window length asked for keeps running sums of its samples (added as they
arrive, taken off as the window moves on): a slope costs O(1) however dense the series. The sums are
kept relative to an origin sample (times and values), and worked out again from the window's samples
whenever as many samples have left it as it holds, so rounding cannot build up (amortised O(1)).
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime

from mineguard.warning.slope import slope_of

Value = float | bool


class SlopeWindow:
    """Running least-squares sums of the samples of one series at most ``window_s`` seconds old."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
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
        """A sample newer than every other; what is older than ``window_s`` before it leaves."""
        if not self.samples:
            self.x0, self.y0 = ts, (y if math.isfinite(y) else 0.0)
        self.samples.append((ts, y))
        self._sum(ts, y, 1)
        self._advance(ts - self.window_s)

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
        """Slope per minute of the samples at or after ``start`` (not before an earlier call's start);
        None under two distinct times, or while a value in the window is not finite."""
        self._advance(start)
        samples = self.samples
        if self.not_finite or len(samples) < 2 or samples[0][0] == samples[-1][0]:
            return None
        sxx = self.sxx - self.sx * self.sx / self.n
        if not sxx > 0:
            return None
        return (self.sxy - self.sx * self.sy / self.n) / sxx * 60.0


class Series:
    """Recent ``(t, value)`` samples of one signal in one zone, pruned to ``keep_s``.

    Times are also kept as epoch seconds. :meth:`slope` keeps a :class:`SlopeWindow` per window length
    asked for; a call whose window starts before an earlier call's (a rate at an older time) walks
    back from the newest sample instead (cost: the samples in the window).
    """

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self.samples: deque[tuple[float, datetime, Value]] = deque()
        self.source: str | None = None  # where the newest sample came from
        self.windows: dict[float, SlopeWindow] = {}

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
            window = self.windows[window_s] = SlopeWindow(window_s)
            for ts, _, v in self.samples:
                window.add(ts, float(v))
        if window is not None and start >= window.start:
            return window.slope(start)
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
