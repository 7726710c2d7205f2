"""Each sensor health status on generated signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.sensing import assess_health
from mineguard.warning.sensing.health import theil_sen_slope

HOUR = 3600.0


def _methane(hours: float = 7.0, slope_per_hour: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, hours * HOUR, 60.0)
    v = 0.4 + slope_per_hour * t / HOUR + np.random.default_rng(seed).normal(0, 0.01, t.size)
    return t, v


def test_ok() -> None:
    t, v = _methane()
    h = assess_health(t, v, t[-1] + 30, "methane", device_id="ch4-1101-t")
    assert h.status == "ok" and h.ok and h.age_s == pytest.approx(30)
    assert abs(h.slope_per_hour) < 0.01


def test_stale() -> None:
    t, v = _methane()
    h = assess_health(t, v, t[-1] + 600, "methane")
    assert h.status == "stale" and "10 min ago" in h.reason


@pytest.mark.parametrize("silence", [2 * HOUR, None])
def test_dead_when_silent_or_never_reported(silence: float | None) -> None:
    t, v = _methane() if silence else (np.array([]), np.array([]))
    h = assess_health(t, v, (t[-1] + silence) if silence else 0.0, "methane")
    assert h.status == "dead"


def test_dead_when_all_recent_readings_out_of_range() -> None:
    t, v = _methane()
    v[-12:] = 15.0  # a 0..10 % head saturated for the last 12 min
    v[-3] = np.nan
    h = assess_health(t, v, t[-1] + 10, "methane", device_id="ch4-7")
    assert h.status == "dead" and "ch4-7" in h.reason and "0..10 %" in h.reason


def test_stuck_reason_reads_for_an_operator() -> None:
    t, v = _methane()
    v[t >= t[-1] - 2.1 * HOUR] = 0.42
    h = assess_health(t, v, t[-1] + 5, "methane", device_id="ch4-1101-t")
    assert h.status == "stuck"
    assert h.reason == "methane sensor ch4-1101-t: same value 0.42 % for 2.1 h — check the sensor head"


def test_drifting_without_reference_and_cleared_by_a_reference_that_moves_too() -> None:
    t, v = _methane(slope_per_hour=0.1)
    h = assess_health(t, v, t[-1] + 5, "methane")
    assert h.status == "drifting" and h.slope_per_hour == pytest.approx(0.1, abs=0.01)
    assert "no reference" in h.reason
    rt, rv = _methane(slope_per_hour=0.1, seed=9)  # the site median rises as well: a real trend
    assert assess_health(t, v, t[-1] + 5, "methane", reference=(rt, rv)).status == "ok"
    flat_ref = _methane(seed=9)
    h = assess_health(t, v, t[-1] + 5, "methane", reference=flat_ref)
    assert h.status == "drifting" and "recalibrate" in h.reason


def test_theil_sen_known_slope_despite_spikes() -> None:
    t = np.arange(50.0)
    v = 2.0 * t + 1.0
    v[[5, 20, 33]] = 1e6
    assert theil_sen_slope(t, v) == pytest.approx(2.0)


def test_now_must_match_time_type() -> None:
    t = np.array(["2024-05-01T00:00:00"], dtype="datetime64[ms]")
    with pytest.raises(TypeError, match="datetime"):
        assess_health(t, np.array([0.4]), 100.0, "methane")
    h = assess_health(t, np.array([0.4]), np.datetime64("2024-05-01T00:01:00"), "methane")
    assert h.status == "ok" and h.age_s == pytest.approx(60)


def _flat(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, n * 10.0, 10.0)
    return t, 0.3 + np.random.default_rng(1).normal(0, 0.01, n)


def test_a_burst_of_flagged_spikes_is_spiky_and_two_are_not() -> None:
    from mineguard.warning.sensing import Flag

    t, v = _flat()
    flags = np.zeros(t.size, dtype=np.int64)
    flags[[50, 53]] = Flag.SPIKE
    assert assess_health(t, v, t[-1] + 5, "methane", flags=flags).status == "ok"
    flags[56] = Flag.SPIKE
    h = assess_health(t, v, t[-1] + 5, "methane", device_id="ch4-7", flags=flags)
    assert h.status == "spiky" and "3 isolated spikes" in h.reason and "ch4-7" in h.reason
    later = np.concatenate([t, t[-1] + 10 + np.arange(0.0, 900.0, 10.0)])  # 15 clean minutes after
    calm = np.concatenate([flags, np.zeros(90, dtype=np.int64)])
    assert assess_health(later, np.full(later.size, 0.3), later[-1] + 5, "methane", flags=calm).status == "ok"


def test_latest_reading_flagged_out_of_range_or_stuck() -> None:
    from mineguard.warning.sensing import Flag

    t, v = _flat()
    flags = np.zeros(t.size, dtype=np.int64)
    flags[-1] = Flag.OUT_OF_RANGE
    v[-1] = 12.0
    h = assess_health(t, v, t[-1] + 5, "methane", flags=flags)
    assert h.status == "out_of_range" and "12 %" in h.reason and "0..10" in h.reason
    flags[-1] = Flag.STUCK
    assert assess_health(t, v, t[-1] + 5, "methane", flags=flags).status == "stuck"
    with pytest.raises(ValueError, match="one bitmask per reading"):
        assess_health(t, v, t[-1] + 5, "methane", flags=flags[:-1])
