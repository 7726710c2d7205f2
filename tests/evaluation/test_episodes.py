"""Episode alarm scores: known answers for detection, lead versus the rule, false alarms per day."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mineguard.evaluation.episodes import (
    point_runs,
    score_runs,
    threshold_within_budget,
    versus,
    window_alarm_runs,
)
from mineguard.warning.multimodal import EpisodeInfo

EPISODES = (
    EpisodeInfo(0, "gas", onset_s=300.0, rule_alarm_s=500.0, duration_s=43_200.0, seed=0),
    EpisodeInfo(1, "none", onset_s=None, rule_alarm_s=None, duration_s=43_200.0, seed=1),
    EpisodeInfo(2, "belt", onset_s=600.0, rule_alarm_s=None, duration_s=0.0, seed=2),
)


def test_window_alarm_runs_and_consecutive():
    scores = np.array([0.1, 0.9, 0.9, 0.2, 0.8, 0.1])
    episode = np.zeros(6, dtype=int)
    t = np.arange(6) * 30.0
    assert window_alarm_runs(scores, episode, t, 0.5) == {0: [(30.0, 60.0), (120.0, 120.0)]}
    assert window_alarm_runs(scores, episode, t, 0.5, consecutive=2) == {0: [(60.0, 60.0)]}
    shuffled = np.array([3, 0, 5, 1, 4, 2])  # order of rows does not matter, time does
    assert window_alarm_runs(scores[shuffled], episode, t[shuffled], 0.5) == {0: [(30.0, 60.0), (120.0, 120.0)]}
    with pytest.raises(ValueError, match="must match"):
        window_alarm_runs(scores, episode[:3], t, 0.5)


def test_score_runs_known_answer():
    runs = {
        0: [(100.0, 120.0), (280.0, 400.0)],  # a false alarm before the onset, then one on at the onset
        1: [(10.0, 10.0), (200.0, 200.0), (5000.0, 5000.0)],  # two distinct false alarms (200 s is within 600 s)
        2: [(900.0, 900.0)],
    }
    report = score_runs(runs, EPISODES, refractory_s=600.0)
    assert report.n_events == 2 and report.detected == 2
    assert report.time_to_detect_s == (0.0, 300.0)  # the run on at 300 s counts from the onset
    assert report.false_alarms == 1 + 2
    assert score_runs({1: [(0.0, 1300.0)]}, EPISODES).false_alarms == 3  # on for 1300 s: notified at 0, 600, 1200
    assert report.days == pytest.approx(1.0) and report.false_alarms_per_day == pytest.approx(3.0)
    assert report.median_time_to_detect_s == 150.0


def test_versus_the_rule():
    model = score_runs({0: [(350.0, 350.0)], 2: [(700.0, 700.0)]}, EPISODES)
    rule = score_runs(point_runs({0: [500.0]}), EPISODES)
    assert rule.detected == 1 and math.isnan(rule.time_to_detect_s[1])
    lead = versus(model, rule)
    assert (lead.both, lead.earlier, lead.later, lead.only_model, lead.only_baseline) == (1, 1, 0, 1, 0)
    assert lead.median_gain == 150.0 and lead.mean_gain == 150.0
    with pytest.raises(ValueError, match="different events"):
        versus(model, score_runs({}, EPISODES[:1]))


def test_threshold_within_budget_picks_the_lowest_that_fits():
    # episode 1 ("none"): windows every 600 s; false alarms 5 (always on), 4, 3, 1, 0 as the threshold rises
    scores = np.array([0.2, 0.3, 0.25, 0.6, 0.3, 0.9])
    episode = np.array([1, 1, 1, 1, 1, 0])
    t = np.array([0.0, 600.0, 1200.0, 1800.0, 2400.0, 400.0])
    assert threshold_within_budget(scores, episode, t, EPISODES, budget_per_day=1.0) == pytest.approx(0.6)
    assert threshold_within_budget(scores, episode, t, EPISODES, budget_per_day=3.0) == pytest.approx(0.3)
    assert threshold_within_budget(scores, episode, t, EPISODES, budget_per_day=4.0) == pytest.approx(0.25)
    assert threshold_within_budget(scores, episode, t, EPISODES, budget_per_day=5.0) == pytest.approx(0.2)
    assert threshold_within_budget(scores, episode, t, EPISODES, budget_per_day=0.0) == pytest.approx(0.9)
