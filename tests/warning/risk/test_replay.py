"""Replaying a risk model over a site's history: the warning a rising sensor gets before it crosses its limit,
and the score against the site's alarms and the operators' verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.risk import TrendModel
from mineguard.warning.risk.feedback import SiteSeries, Verdict
from mineguard.warning.risk.replay import Alarm, ReplayWarning, replay_warnings, score_replay

T0 = 1_800_000_000.0
DAY = 86_400.0


def rising() -> SiteSeries:
    """Flat at 0.5 % for an hour, then +0.02 %/min: 1.0 % at 25 min into the rise (T0 + 5100 s)."""
    t = T0 + np.arange(0.0, 7200.0, 10.0)
    v = 0.5 + np.clip(t - T0 - 3600.0, 0.0, None) * 0.02 / 60.0
    return SiteSeries("ch4", t, v, limit=1.0, op=">=")


def test_a_rise_is_warned_before_the_limit_and_the_warning_closes_at_it() -> None:
    model = TrendModel(window_s=300.0, horizon_s=600.0)
    (warning,) = replay_warnings(rising(), model, start_s=T0 + 600, end_s=T0 + 7190, step_s=60.0)
    assert T0 + 3600 < warning.opened_s < T0 + 5100  # warned during the rise, before the 1.0 % crossing
    assert warning.closed_s is not None and T0 + 5100 <= warning.closed_s <= T0 + 5160  # the limit is reached
    assert warning.max_probability >= 0.8
    assert replay_warnings(rising(), model, start_s=T0, end_s=T0 + 3000, step_s=60.0) == []  # flat: nothing


def test_score_warned_missed_and_false_alarms_per_day() -> None:
    warnings = [
        ReplayWarning("ch4", T0 + 4500, T0 + 5100, 0.9),  # before the alarm at 5100: lead 600 s
        ReplayWarning("ch4", T0 + 20_000, T0 + 20_300, 0.85),  # nothing followed: false
        ReplayWarning("co", T0 + 30_000, T0 + 30_300, 0.85),  # nothing followed, but operators acted: true
        ReplayWarning("co", T0 + 40_000, T0 + 40_300, 0.85),  # during a bump test: not counted
    ]
    alarms = [
        Alarm(T0 + 5100, frozenset({"ch4"}), "methane.working_face", 1),
        Alarm(T0 + 50_000, frozenset({"ch4", "fan"}), "gas-rising-fan-stopped", 2),  # no warning: missed
        Alarm(T0 + 40_100, frozenset({"co"}), "co.roadway", 3),  # the bump test's alarm: not an event
    ]
    verdicts = [
        Verdict("co", T0 + 29_900, T0 + 30_500, "true_alarm", 10),
        Verdict("co", T0 + 39_900, T0 + 40_500, "test", 3),
    ]
    score = score_replay(warnings, alarms, verdicts, start_s=T0, end_s=T0 + DAY, lookback_s=1800)
    assert (score.warnings, score.false_alarms, score.alarms, score.warned, score.missed) == (3, 1, 2, 1, 1)
    assert score.lead_s == (600.0,) and score.median_lead_s == 600.0
    assert score.false_alarms_per_day == pytest.approx(1.0) and score.as_dict()["days"] == pytest.approx(1.0)
    no_verdicts = score_replay(warnings, alarms, start_s=T0, end_s=T0 + DAY)
    assert (no_verdicts.warnings, no_verdicts.false_alarms, no_verdicts.alarms) == (4, 2, 3)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="clear_p < raise_p"):
        replay_warnings(rising(), TrendModel(), start_s=T0, end_s=T0 + 60, raise_p=0.3, clear_p=0.5)
    with pytest.raises(ValueError, match="end_s > start_s"):
        score_replay([], [], start_s=T0, end_s=T0)
