"""The running slope of a series' window equals the slope walked over the same samples."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from mineguard.warning.rules.signal_series import Series, walked_slope

T0 = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def walked(samples: list[tuple[float, float]], now: float, window_s: float) -> float | None:
    inside = [(ts, y) for ts, y in samples if ts >= now - window_s]
    return walked_slope([ts for ts, _ in inside], [y for _, y in inside])


@pytest.mark.parametrize("seed", range(5))
def test_running_slope_matches_the_walked_one_over_a_long_stream(seed: int) -> None:
    """Thousands of samples at irregular times (some at the same time, values far from 0 with small
    changes, a NaN now and then), slopes asked at irregular moments: equal to 1e-9 of the walked slope,
    None exactly when it is None — the sums are recounted often enough that rounding does not build up."""
    rng = random.Random(seed)
    series = Series(keep_s=600.0)
    kept: list[tuple[float, float]] = []
    ts = 0.0
    for i in range(6000):
        ts += rng.choice([0.0, 0.01, 0.2, 1.0, 7.0])
        y = 2000.0 + 0.001 * i + rng.gauss(0, 0.01) if rng.random() > 0.002 else math.nan
        assert series.add(at(ts), y)
        kept.append((at(ts).timestamp(), y))
        if rng.random() < 0.05:
            now = ts + rng.choice([0.0, 0.5, 30.0])
            for window_s in (20.0, 300.0):
                want = walked(kept, at(now).timestamp(), window_s)
                got = series.slope(at(now), window_s)
                assert (got is None) == (want is None), (i, window_s)
                if want is not None:
                    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_a_slope_at_an_earlier_time_than_asked_before_is_walked() -> None:
    """A threshold alert reports the rate at its reading's time, which may be before the time a combined
    rule last asked the same window at: the samples that left the running window are walked again."""
    series = Series(keep_s=300.0)
    for s in range(100):
        series.add(at(s), float(s) if s < 50 else 50.0)
    late = series.slope(at(99 + 40), 60)  # the window moved on to 79 s
    early = series.slope(at(60), 60)  # 0..60 s: rising 60 a minute until 50 s, then flat
    assert late == pytest.approx(0.0)
    samples = [(at(s).timestamp(), float(min(s, 50))) for s in range(100)]
    assert early == pytest.approx(walked(samples, at(60).timestamp(), 60))
    assert early > 30.0


def test_a_window_longer_than_the_series_keeps_is_walked() -> None:
    series = Series(keep_s=30.0)
    for s in range(100):
        series.add(at(s), float(s))
    assert series.slope(at(99), 600) == pytest.approx(60.0)  # the 31 samples kept
    assert 600 not in series.windows
