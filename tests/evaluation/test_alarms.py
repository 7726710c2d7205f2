"""Score- and alarm-level early-warning metrics: known answers on hand-made arrays and the definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mineguard.evaluation.alarms import (
    alarm_report,
    bootstrap_interval,
    pr_auc,
    recall_at_false_alarm_rate,
    roc_auc,
    threshold_at_false_alarm_rate,
)

SCORES = np.array([0.1, 0.4, 0.35, 0.8])
LABELS = np.array([0, 0, 1, 1])


def test_roc_and_pr_known_answers() -> None:
    """3 of the 4 positive-negative pairs are ordered right -> 0.75; AP = 0.5 * 1 + 0.5 * 2/3."""
    assert roc_auc(SCORES, LABELS) == pytest.approx(0.75)
    assert pr_auc(SCORES, LABELS) == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_perfect_and_constant_scores() -> None:
    assert roc_auc(np.array([0.0, 1.0, 2.0]), np.array([0, 1, 1])) == 1.0
    assert pr_auc(np.array([0.0, 1.0, 2.0]), np.array([0, 1, 1])) == 1.0
    flat = np.zeros(8)
    labels = np.array([1, 0, 0, 0, 1, 0, 0, 0])
    assert roc_auc(flat, labels) == 0.5  # ties count one half
    assert pr_auc(flat, labels) == pytest.approx(0.25)  # one threshold: precision = positive rate


def _pairwise_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The definition: P(positive > negative) over every pair, a tie counting one half."""
    diff = scores[labels][:, None] - scores[~labels][None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def _stepwise_ap(scores: np.ndarray, labels: np.ndarray) -> float:
    """The definition: sum over distinct thresholds t, high to low, of (R(t) - R(previous t)) * P(t)."""
    area, last_recall = 0.0, 0.0
    for t in np.unique(scores)[::-1]:
        alarm = scores >= t
        recall = (alarm & labels).sum() / labels.sum()
        area += (recall - last_recall) * (alarm & labels).sum() / alarm.sum()
        last_recall = recall
    return area


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_the_definitions_with_ties(seed: int) -> None:
    """Against pair counting and the AP sum written out (was: against the old rank-sum code, identical)."""
    rng = np.random.default_rng(seed)
    labels = rng.random(300) < 0.1
    labels[:2] = [True, False]
    scores = np.round(rng.normal(size=300) + labels, 1)  # rounding makes many ties
    assert roc_auc(scores, labels) == pytest.approx(_pairwise_auc(scores, labels), abs=1e-12)
    assert pr_auc(scores, labels) == pytest.approx(_stepwise_ap(scores, labels), abs=1e-12)


def test_recall_at_false_alarm_rate_known_answer() -> None:
    """10 negatives at 0.1 .. 1.0; positives at 0.95, 0.85, 0.05."""
    scores = np.r_[np.linspace(0.1, 1.0, 10), 0.95, 0.85, 0.05]
    labels = np.r_[np.zeros(10), np.ones(3)]
    points = recall_at_false_alarm_rate(scores, labels, rates=(0.0, 0.1, 0.2, 1.0))
    assert [p.recall for p in points.values()] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert [p.false_alarm_rate for p in points.values()] == pytest.approx([0.0, 0.1, 0.2, 1.0])
    assert points[0.1].threshold > 0.9 and points[0.1].threshold == pytest.approx(0.9)
    for p in points.values():
        assert p.false_alarm_rate <= p.target_rate


def test_threshold_never_exceeds_the_rate_with_ties() -> None:
    """Ten tied negatives: any threshold reaching them gives 100 % false alarms, so it must go above."""
    scores = np.r_[np.full(10, 0.5), 0.7, 0.5]
    labels = np.r_[np.zeros(10), 1, 1]
    t = threshold_at_false_alarm_rate(scores, labels, 0.05)
    assert t > 0.5
    point = recall_at_false_alarm_rate(scores, labels, rates=(0.5,))[0.5]
    assert point.false_alarm_rate == 0.0 and point.recall == 0.5


def test_alarm_report_known_answer() -> None:
    alarms = np.array([0, 1, 1, 1, 0, 0, 1, 0, 1, 1], bool)
    events = np.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 1], bool)
    rule = np.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0], bool)
    report = alarm_report(alarms, events, shifts_per_day=3, baseline=rule)
    assert (report.n_events, report.detected, report.detection_rate) == (2, 2, 1.0)
    assert report.lead_steps == (2.0, 1.0)  # run from step 1 reaches the event at 3; run from 8 reaches 9
    assert report.mean_lead_steps == 1.5
    assert report.false_alarms == 4  # steps 1, 2, 6, 8
    assert report.false_alarm_runs == 1  # the lone alarm at step 6
    assert report.false_alarms_per_day == pytest.approx(4 / (10 / 3))
    vs = report.versus_baseline
    assert vs is not None
    assert (vs.both, vs.earlier, vs.same, vs.later, vs.only_model, vs.only_baseline) == (1, 1, 0, 0, 1, 0)
    assert vs.mean_gain == 2.0


def test_missed_event_and_baseline_only() -> None:
    report = alarm_report(np.array([0, 0, 1]), np.array([0, 1, 0]), baseline=np.array([1, 1, 0]))
    assert report.detected == 0 and math.isnan(report.lead_steps[0]) and math.isnan(report.mean_lead_steps)
    assert report.false_alarm_runs == 1
    assert report.versus_baseline is not None and report.versus_baseline.only_baseline == 1
    assert math.isnan(report.versus_baseline.mean_gain)


def test_empty_sequence() -> None:
    report = alarm_report(np.zeros(0, bool), np.zeros(0, bool))
    assert (report.n_events, report.false_alarms, report.false_alarms_per_day) == (0, 0, 0.0)
    assert math.isnan(report.detection_rate)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc(np.zeros(3), np.zeros(3))  # sklearn alone would warn and return NaN
    with pytest.raises(ValueError, match="both positive and negative"):
        pr_auc(np.zeros(3), np.ones(3))  # sklearn alone would warn and return 1
    with pytest.raises(ValueError, match="same length"):
        pr_auc(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="0/1"):
        roc_auc(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="NaN"):
        roc_auc(np.array([0.0, np.nan]), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        threshold_at_false_alarm_rate(SCORES, LABELS, 1.5)
    with pytest.raises(ValueError, match="one value per step"):
        alarm_report(np.zeros(3, bool), np.zeros(4, bool))
    with pytest.raises(ValueError, match="bool or 0/1"):
        alarm_report(np.array([0, 2]), np.array([0, 1]))


def test_alarm_runs_and_compare_leads() -> None:
    from mineguard.evaluation.alarms import alarm_runs, compare_leads

    assert alarm_runs(np.array([1, 1, 0, 1, 0, 0, 1], bool)).tolist() == [[0, 1], [3, 3], [6, 6]]
    assert alarm_runs(np.zeros(0, bool)).shape == (0, 2)
    vs = compare_leads(np.array([3.0, 1.0, np.nan, 2.0]), np.array([1.0, 1.0, 0.0, np.nan]))
    assert (vs.both, vs.earlier, vs.same, vs.later, vs.only_model, vs.only_baseline) == (2, 1, 1, 0, 1, 1)
    assert vs.mean_gain == 1.0 and vs.median_gain == 1.0
    with pytest.raises(ValueError, match="same events"):
        compare_leads(np.zeros(2), np.zeros(3))


def test_bootstrap_interval_known_answers() -> None:
    separated = (np.arange(40.0), np.array([0] * 30 + [1] * 10))
    assert bootstrap_interval(roc_auc, *separated, n_resamples=200) == pytest.approx((1.0, 1.0))  # all perfect
    assert bootstrap_interval(roc_auc, *separated, n_resamples=200, block=8) == pytest.approx((1.0, 1.0))
    positive_rate = lambda s, y: float(y.mean())  # noqa: E731
    low, high = bootstrap_interval(positive_rate, *separated, n_resamples=2000, seed=1)
    assert low < 0.25 < high and high - low == pytest.approx(2 * 1.96 * math.sqrt(0.25 * 0.75 / 40), abs=0.05)


def test_bootstrap_interval_is_seeded_and_blocks_widen_it_on_runs() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(rng.random(40) < 0.3, 10).astype(int)  # events in runs of 10 steps
    scores = labels + np.repeat(rng.normal(0, 1.0, 40), 10) + rng.normal(0, 0.1, labels.size)  # noise in runs too
    once = bootstrap_interval(roc_auc, scores, labels, seed=3)
    assert once == bootstrap_interval(roc_auc, scores, labels, seed=3)
    assert once[0] < roc_auc(scores, labels) < once[1]
    blocks = bootstrap_interval(roc_auc, scores, labels, seed=3, block=10)
    assert blocks[1] - blocks[0] > once[1] - once[0]


def test_bootstrap_interval_bad_input() -> None:
    with pytest.raises(ValueError, match="block must be between 1 and the 4 steps"):
        bootstrap_interval(roc_auc, SCORES, LABELS, block=5)
    with pytest.raises(ValueError, match="level"):
        bootstrap_interval(roc_auc, SCORES, LABELS, level=1.0)
    with pytest.raises(ValueError, match="both positive and negative"):
        bootstrap_interval(roc_auc, SCORES, np.zeros(4))
