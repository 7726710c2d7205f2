"""Hazard-state and alarm-level scores for early warning (SPEC §3 "Evaluate"; issue #6).

Two levels:

- **score level**, one hazard score per step (shift) against a 0/1 label: ``roc_auc``,
  ``pr_auc`` (average precision, the area under the precision-recall steps) and
  ``recall_at_false_alarm_rate`` — the recall at the most liberal threshold whose false-alarm
  rate on the negatives is at most each given rate; ``bootstrap_interval`` gives a percentile
  interval of any of them over resampled steps, single steps or moving blocks of consecutive steps
  (for autocorrelated series);
- **alarm level**, a boolean alarm per step against the steps that should have warned:
  ``alarm_report`` counts events detected, false alarms per day, and the lead time of each
  detected event, optionally against a baseline alarm sequence (the threshold rule in use).

ROC-AUC and PR-AUC come from scikit-learn, the rest is numpy; scores follow the "higher = more
hazardous" convention and alarms fire on ``score >= threshold``.

This is the per-step view (one score or alarm per shift, leads in steps). Its sibling
``mineguard.evaluation.episodes`` is the per-episode view (alarm runs in seconds, refractory
notifications, false alarms per simulated day); it uses the two pieces both views share, which live
here: ``alarm_runs`` (the runs of a boolean alarm sequence) and ``compare_leads`` (two alarm
sources over the same events). The threshold searches differ on purpose:
``threshold_at_false_alarm_rate`` is exact on the per-step negatives, ``threshold_within_budget``
(episodes) bisects over score quantiles for a false-alarms-per-day budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def _scores_labels(scores: np.ndarray, labels: np.ndarray, *, need_both: bool = True) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"scores and labels must be 1-D of the same length, got {s.shape} and {y.shape}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinity — score every step with a finite number")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be 0/1 (or bool), got values {np.unique(y)[:5].tolist()}")
    y = y.astype(bool)
    if need_both and (y.all() or not y.any()):
        raise ValueError(f"need both positive and negative labels, got {int(y.sum())} positives of {y.size}")
    return s, y


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve = P(score of a positive > score of a negative), ties counting 1/2.

    ``sklearn.metrics.roc_auc_score``, after the checks of ``_scores_labels``: one class only
    raises ``ValueError`` (the area is undefined) where sklearn would warn and return NaN.

    Args:
        scores: (N,) finite hazard scores.
        labels: (N,) 0/1, both classes present.
    """
    s, y = _scores_labels(scores, labels)
    return float(roc_auc_score(y, s))


def pr_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Average precision: sum_k (R_k - R_{k-1}) P_k over the distinct thresholds, high to low.

    The step-wise area under the precision-recall curve (no interpolation),
    ``sklearn.metrics.average_precision_score``; a random score gives about the positive rate.
    One class only raises ``ValueError`` where sklearn would warn and return 0 (no positives) or 1.

    Args:
        scores: (N,) finite hazard scores.
        labels: (N,) 0/1, both classes present.
    """
    s, y = _scores_labels(scores, labels)
    return float(average_precision_score(y, s))


def threshold_at_false_alarm_rate(scores: np.ndarray, labels: np.ndarray, rate: float) -> float:
    """The lowest threshold t with mean(score >= t over the negatives) <= ``rate``.

    With the negatives sorted high to low, n_(1) >= n_(2) >= ..., and k = floor(rate * n_neg)
    false alarms allowed, t is the next float above n_(k+1) (so no more than k negatives reach it;
    ties with n_(k+1) stay below). ``rate >= 1`` gives the lowest score: every step alarms.

    Args:
        scores: (N,) finite hazard scores.
        labels: (N,) 0/1; at least one negative.
        rate: allowed false-alarm rate in [0, 1].
    """
    s, y = _scores_labels(scores, labels, need_both=False)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"false-alarm rate must be in [0, 1], got {rate}")
    negatives = np.sort(s[~y])[::-1]
    if negatives.size == 0:
        raise ValueError("no negative labels: the false-alarm rate is undefined")
    allowed = math.floor(rate * negatives.size + 1e-9)
    if allowed >= negatives.size:
        return float(s.min())
    return float(np.nextafter(negatives[allowed], np.inf))


@dataclass(frozen=True)
class OperatingPoint:
    """Recall at a threshold chosen for a false-alarm rate (``false_alarm_rate`` <= ``target_rate``)."""

    target_rate: float
    threshold: float
    recall: float
    false_alarm_rate: float


def recall_at_false_alarm_rate(
    scores: np.ndarray, labels: np.ndarray, rates: Sequence[float] = (0.05, 0.10, 0.20)
) -> dict[float, OperatingPoint]:
    """For each rate r, the recall at ``threshold_at_false_alarm_rate(scores, labels, r)``.

    Args:
        scores: (N,) finite hazard scores.
        labels: (N,) 0/1, both classes present.
        rates: false-alarm rates on the negatives, each in [0, 1].

    Returns:
        {r: OperatingPoint}; with tied scores the achieved rate may be well below r.
    """
    s, y = _scores_labels(scores, labels)
    points = {}
    for rate in rates:
        t = threshold_at_false_alarm_rate(s, y, rate)
        alarm = s >= t
        points[rate] = OperatingPoint(rate, t, float(alarm[y].mean()), float(alarm[~y].mean()))
    return points


def bootstrap_interval(
    metric: Callable[[np.ndarray, np.ndarray], float],
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    n_resamples: int = 1000,
    block: int = 1,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(scores, labels)`` (Efron & Tibshirani 1993, ch. 13).

    Each resample draws N steps with replacement: single steps (``block`` 1), or, for a series whose
    neighbouring steps are correlated, the moving-block bootstrap (Künsch 1989): ceil(N / block)
    runs of ``block`` consecutive steps with uniformly drawn starts, cut to N. Resamples holding one
    class only are skipped (the scores here need both).

    Args:
        metric: e.g. ``roc_auc`` or a recall at a false-alarm rate; (scores, labels) -> float.
        scores: (N,) finite scores; labels: (N,) 0/1, both classes present.
        n_resamples: resamples drawn; level: central coverage, in (0, 1); seed: of the draws.

    Returns:
        (low, high) at the (1 - level) / 2 and (1 + level) / 2 percentiles.
    """
    s, y = _scores_labels(scores, labels)
    if not 1 <= block <= y.size:
        raise ValueError(f"block must be between 1 and the {y.size} steps, got {block}")
    if not 0 < level < 1 or n_resamples < 1:
        raise ValueError(f"need 0 < level < 1 and n_resamples >= 1, got {level}, {n_resamples}")
    rng = np.random.default_rng(seed)
    n_blocks = math.ceil(y.size / block)
    values = []
    for _ in range(n_resamples):
        starts = rng.integers(0, y.size - block + 1, n_blocks)
        idx = (starts[:, None] + np.arange(block)).ravel()[: y.size]
        if 0 < y[idx].sum() < y.size:
            values.append(metric(s[idx], y[idx].astype(np.int64)))
    if not values:
        raise ValueError("no resample held both classes — too few positives for a bootstrap interval")
    tail = 100 * (1 - level) / 2
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


@dataclass(frozen=True)
class LeadComparison:
    """Two alarm sources over the same events (``compare_leads``), in the unit of the leads given."""

    both: int  # events detected by both
    earlier: int  # of those, the model warned before the baseline
    same: int
    later: int
    only_model: int  # detected by the model, missed by the baseline
    only_baseline: int
    mean_gain: float  # mean of (model lead - baseline lead) over ``both``; NaN if none
    median_gain: float


def compare_leads(model: np.ndarray, baseline: np.ndarray) -> LeadComparison:
    """Compare per-event leads (larger = warned earlier; NaN where the event was missed).

    Per step the leads are steps the alarm was already on (``alarm_report``); per episode they are
    minus the time to detect (``episodes.versus``), so the gain is how much earlier the model warned.
    """
    m, b = np.asarray(model, dtype=np.float64), np.asarray(baseline, dtype=np.float64)
    if m.shape != b.shape:
        raise ValueError(f"model leads {m.shape} and baseline leads {b.shape} must cover the same events")
    hit, base_hit = ~np.isnan(m), ~np.isnan(b)
    both = hit & base_hit
    gain = m[both] - b[both]
    return LeadComparison(
        both=int(both.sum()),
        earlier=int((gain > 0).sum()),
        same=int((gain == 0).sum()),
        later=int((gain < 0).sum()),
        only_model=int((hit & ~base_hit).sum()),
        only_baseline=int((~hit & base_hit).sum()),
        mean_gain=float(gain.mean()) if gain.size else math.nan,
        median_gain=float(np.median(gain)) if gain.size else math.nan,
    )


@dataclass(frozen=True)
class AlarmReport:
    """Alarm-level figures of one alarm sequence (``alarm_report``)."""

    n_steps: int
    days: float
    n_events: int
    detected: int
    false_alarms: int  # alarm steps that are not event steps
    false_alarm_runs: int  # runs of consecutive alarms that contain no event step
    false_alarms_per_day: float
    lead_steps: tuple[float, ...]  # per event, in order; NaN where missed
    versus_baseline: LeadComparison | None = None

    @property
    def detection_rate(self) -> float:
        return self.detected / self.n_events if self.n_events else math.nan

    @property
    def mean_lead_steps(self) -> float:
        leads = [v for v in self.lead_steps if not math.isnan(v)]
        return float(np.mean(leads)) if leads else math.nan


def _as_bool(name: str, x: np.ndarray) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per step), got shape {a.shape}")
    if a.dtype != bool and not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must be bool or 0/1, got values {np.unique(a)[:5].tolist()}")
    return a.astype(bool)


def alarm_runs(on: np.ndarray) -> np.ndarray:
    """(K, 2) first and last index (inclusive) of each run of consecutive ``True`` in ``on``, in order."""
    edges = np.diff(np.concatenate(([0], np.asarray(on, dtype=np.int8), [0])))
    return np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1], axis=1)


def _leads(alarms: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Per event step, how many steps its run of alarms had already been on; NaN where no alarm."""
    starts = np.full(alarms.size, -1)
    for first, last in alarm_runs(alarms):
        starts[first : last + 1] = first
    idx = np.flatnonzero(events)
    return np.where(alarms[idx], idx - starts[idx], np.nan).astype(np.float64)


def alarm_report(
    alarms: np.ndarray, events: np.ndarray, *, shifts_per_day: float = 3.0, baseline: np.ndarray | None = None
) -> AlarmReport:
    """Events detected, false alarms per day and lead times of an alarm sequence.

    ``events[i]`` marks the step whose alarm should warn of an event: for seismic-bumps that is
    the ``class`` of shift i (a bump in shift i + 1). An event is detected when ``alarms[i]`` is
    on; its lead time is the number of steps the alarm had already been on without a break,
    i - (first step of the run of alarms that reaches i): 0 when the alarm came up in step i
    itself. An alarm on a non-event step is a false alarm.

    Args:
        alarms: (N,) bool (or 0/1), one per step in time order.
        events: (N,) bool (or 0/1).
        shifts_per_day: steps per day, for the false-alarm rate per day (3 eight-hour shifts).
        baseline: (N,) bool alarms of the rule to compare lead times with, or None.

    Returns:
        an ``AlarmReport``; ``versus_baseline`` is filled when ``baseline`` is given.
    """
    a, e = _as_bool("alarms", alarms), _as_bool("events", events)
    if a.shape != e.shape:
        raise ValueError(f"alarms {a.shape} and events {e.shape} must have one value per step each")
    if shifts_per_day <= 0:
        raise ValueError(f"shifts_per_day must be > 0, got {shifts_per_day}")
    leads = _leads(a, e)
    false_alarms = int((a & ~e).sum())
    days = a.size / shifts_per_day
    comparison = None
    if baseline is not None:
        b = _as_bool("baseline", baseline)
        if b.shape != a.shape:
            raise ValueError(f"baseline {b.shape} must have one value per step like alarms {a.shape}")
        comparison = compare_leads(leads, _leads(b, e))
    return AlarmReport(
        n_steps=int(a.size),
        days=float(days),
        n_events=int(e.sum()),
        detected=int((a & e).sum()),
        false_alarms=false_alarms,
        false_alarm_runs=sum(not e[first : last + 1].any() for first, last in alarm_runs(a)),
        false_alarms_per_day=false_alarms / days if days else 0.0,
        lead_steps=tuple(float(v) for v in leads),
        versus_baseline=comparison,
    )
