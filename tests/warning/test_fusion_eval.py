"""Alarm comparison of a hazard score with the threshold rule: threshold chosen on validation, scored on test."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.fusion_eval import choose_threshold, compare_with_rule

from .test_fusion import toy_set


def test_threshold_from_validation_then_compared_on_test():
    data = toy_set(8)  # episodes 1, 3, 5, 7 are gas with onset 300 s; windows every 60 s to 600 s
    score = (data.hazard > 0).astype(float) * 0.9 + 0.05  # a perfect score: 0.95 from the onset, 0.05 before
    rule = {e.id: (e.rule_alarm_s,) if e.rule_alarm_s else () for e in data.episodes}  # the rule alarms at 400 s
    rule[0] = (120.0,)  # and once falsely in a normal episode
    threshold, budget = choose_threshold(score, data, rule)
    assert budget == pytest.approx(1 / (8 * 600 / 86400))  # one false alarm over 8 episodes of 10 min
    assert threshold == pytest.approx(0.95)  # 0.05 would alarm through all 4 normal episodes: 4 false alarms
    comp = compare_with_rule(score, data, rule, threshold, budget)
    assert comp.model.detected == 4 and comp.model.false_alarms == 0
    assert comp.rule.detected == 4 and comp.rule.false_alarms == 1
    assert comp.model.time_to_detect_s == (60.0, 60.0, 60.0, 60.0)  # the first hazard window ends at 360 s
    assert comp.lead.earlier == 4 and comp.lead.median_gain == 40.0  # the rule alarms at 400 s
    assert np.isclose(comp.model.days, comp.rule.days)
