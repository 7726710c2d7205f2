"""Alarm-level comparison of a hazard score with the threshold rule, on episodes (issue #6).

The question mines ask: does the model warn earlier than the threshold rule, without more false
alarms? So the model's alarm threshold is chosen on VALIDATION episodes as the lowest whose false
alarms per day do not exceed the rule's on those same episodes (``threshold_within_budget``), and
then both are scored on the TEST episodes: events detected, time to detect, lead over the rule,
false alarms per day (``mineguard.evaluation.episodes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mineguard.evaluation.alarms import LeadComparison
from mineguard.evaluation.episodes import (
    EpisodeAlarmReport,
    point_runs,
    score_runs,
    threshold_within_budget,
    versus,
    window_alarm_runs,
)
from mineguard.warning.multimodal import MultimodalSet


@dataclass(frozen=True)
class AlarmComparison:
    threshold: float  # chosen on validation episodes
    budget_per_day: float  # the rule's false alarms per day on validation episodes
    model: EpisodeAlarmReport  # on the test episodes
    rule: EpisodeAlarmReport
    lead: LeadComparison


def rule_report(
    data: MultimodalSet, rule_alarms_s: Mapping[int, Sequence[float]], *, refractory_s: float = 600.0
) -> EpisodeAlarmReport:
    times = {e.id: rule_alarms_s.get(e.id, ()) for e in data.episodes}
    return score_runs(point_runs(times), data.episodes, refractory_s=refractory_s)


def model_report(
    scores: np.ndarray, data: MultimodalSet, threshold: float, *, consecutive: int = 1, refractory_s: float = 600.0
) -> EpisodeAlarmReport:
    runs = window_alarm_runs(scores, data.episode, data.t_s, threshold, consecutive=consecutive)
    return score_runs(runs, data.episodes, refractory_s=refractory_s)


def choose_threshold(
    val_scores: np.ndarray,
    val: MultimodalSet,
    val_rule_alarms_s: Mapping[int, Sequence[float]],
    *,
    consecutive: int = 1,
    refractory_s: float = 600.0,
) -> tuple[float, float]:
    """(threshold, budget): the lowest threshold within the rule's false alarms/day on ``val``."""
    budget = rule_report(val, val_rule_alarms_s, refractory_s=refractory_s).false_alarms_per_day
    threshold = threshold_within_budget(
        val_scores, val.episode, val.t_s, val.episodes, budget, consecutive=consecutive, refractory_s=refractory_s
    )
    return threshold, budget


def compare_with_rule(
    test_scores: np.ndarray,
    test: MultimodalSet,
    test_rule_alarms_s: Mapping[int, Sequence[float]],
    threshold: float,
    budget_per_day: float,
    *,
    consecutive: int = 1,
    refractory_s: float = 600.0,
) -> AlarmComparison:
    model = model_report(test_scores, test, threshold, consecutive=consecutive, refractory_s=refractory_s)
    rule = rule_report(test, test_rule_alarms_s, refractory_s=refractory_s)
    return AlarmComparison(threshold, budget_per_day, model, rule, versus(model, rule))
