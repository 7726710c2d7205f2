"""Alarm-level scores per episode (issue #6): events detected, lead time versus the threshold rule, false alarms/day.

The simulated early-warning set is a collection of episodes (``mineguard.warning.multimodal``
builds them; here an episode is anything with the three fields of ``Episode``): a hazard episode
has an ``onset_s`` (when the hazard became real); a "none" episode has none.
An alarm source — a model thresholded on its per-window score, or the threshold rule with its
raise times — is scored like this:

- an **event** is a hazard episode; it is **detected** at the first alarm at or after the onset
  (a model alarm still on at the onset counts from the first window at or after it);
  time-to-detect = detection time - onset;
- a **false alarm** is an alarm raised while no hazard is developing (anywhere in a "none"
  episode, or before the onset); alarms within ``refractory_s`` of the previous one are the same
  alarm, as an operator would see one alert that keeps updating, and an alarm that stays on
  counts again every ``refractory_s`` (it is re-notified), so "always on" is not one cheap alarm;
- false alarms per day = false alarms / (the simulated time of all episodes in days);
- ``versus`` compares the detection times of two sources over the same events: lead =
  rule detection time - model detection time (positive: the model warned earlier).

Model alarm times are quantised to the window stride (an alarm can only come up at a window end).

This is the per-episode view of alarm scoring; ``mineguard.evaluation.alarms`` is the per-step
view (one alarm per shift, leads in steps, ROC-AUC and PR-AUC). The runs of a boolean alarm
sequence (``alarm_runs``) and the comparison of two sources over the same events
(``compare_leads``, ``LeadComparison``) are theirs, shared; what is this module's own is time:
runs in seconds, refractory notifications, false alarms per simulated day and the threshold
search for a false-alarms-per-day budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mineguard.evaluation.alarms import LeadComparison, alarm_runs, compare_leads

DAY_S = 86_400.0


class Episode(Protocol):
    """What alarm-level scoring reads of an episode (``mineguard.warning.multimodal.EpisodeInfo`` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def onset_s(self) -> float | None: ...  # when the hazard became real; None in a normal episode

    @property
    def duration_s(self) -> float: ...


@dataclass(frozen=True)
class EpisodeAlarmReport:
    n_events: int
    detected: int
    time_to_detect_s: tuple[float, ...]  # per hazard episode (in ``episodes`` order), NaN where missed
    false_alarms: int
    days: float

    @property
    def false_alarms_per_day(self) -> float:
        return self.false_alarms / self.days if self.days else math.nan

    @property
    def median_time_to_detect_s(self) -> float:
        hit = [v for v in self.time_to_detect_s if not math.isnan(v)]
        return float(np.median(hit)) if hit else math.nan


def _merge(runs: Sequence[tuple[float, float]], refractory_s: float) -> list[float]:
    """The notification times of a set of runs: each run re-notifies every ``refractory_s``, and a
    notification within ``refractory_s`` of the previous one is the same alert."""
    points = [t for s, e in runs for t in np.arange(s, e + 1e-9, refractory_s)] if refractory_s > 0 else []
    out: list[float] = []
    for t in sorted(points):
        if not out or t - out[-1] >= refractory_s:
            out.append(t)
    return out


def window_alarm_runs(
    scores: np.ndarray, episode: np.ndarray, t_s: np.ndarray, threshold: float, *, consecutive: int = 1
) -> dict[int, list[tuple[float, float]]]:
    """Per episode, the (start, end) window times of each run of alarms (score >= threshold for
    ``consecutive`` windows in a row; the alarm comes up at the last of them)."""
    if consecutive < 1:
        raise ValueError(f"consecutive must be >= 1, got {consecutive}")
    scores, episode, t_s = np.asarray(scores), np.asarray(episode), np.asarray(t_s, dtype=float)
    if not scores.shape == episode.shape == t_s.shape:
        raise ValueError(f"scores {scores.shape}, episode {episode.shape} and t_s {t_s.shape} must match")
    runs: dict[int, list[tuple[float, float]]] = {}
    for e in np.unique(episode):
        rows = np.flatnonzero(episode == e)
        rows = rows[np.argsort(t_s[rows], kind="stable")]
        runs[int(e)] = [
            (float(t_s[rows[first + consecutive - 1]]), float(t_s[rows[last]]))
            for first, last in alarm_runs(scores[rows] >= threshold)
            if last - first + 1 >= consecutive
        ]
    return runs


def score_runs(
    runs: Mapping[int, Sequence[tuple[float, float]]], episodes: Sequence[Episode], *, refractory_s: float = 600.0
) -> EpisodeAlarmReport:
    """Score alarm runs ((start, end) times per episode id; a point alarm is (t, t)) against ``episodes``."""
    if refractory_s <= 0:
        raise ValueError(f"refractory_s must be > 0, got {refractory_s}")
    ttd: list[float] = []
    n_false = 0
    for ep in episodes:
        ep_runs = sorted(runs.get(ep.id, ()))
        onset = ep.onset_s
        if onset is None:
            n_false += len(_merge(ep_runs, refractory_s))
            continue
        n_false += len(_merge([(s, end) for s, end in ep_runs if end < onset], refractory_s))
        hits = [max(s, onset) for s, end in ep_runs if end >= onset]
        ttd.append(min(hits) - onset if hits else math.nan)
    days = sum(ep.duration_s for ep in episodes) / DAY_S
    detected = sum(not math.isnan(v) for v in ttd)
    return EpisodeAlarmReport(len(ttd), detected, tuple(ttd), n_false, days)


def point_runs(times: Mapping[int, Sequence[float]]) -> dict[int, list[tuple[float, float]]]:
    """Alarm times (e.g. the threshold rule's raise times) as zero-length runs for ``score_runs``."""
    return {int(e): [(float(t), float(t)) for t in ts] for e, ts in times.items()}


def versus(model: EpisodeAlarmReport, rule: EpisodeAlarmReport) -> LeadComparison:
    """Model against the rule over the same events: gain = rule time to detect - model time to detect
    (positive: the model warned earlier), in seconds; the rule is the baseline."""
    if model.n_events != rule.n_events:
        raise ValueError(f"the two reports cover different events ({model.n_events} vs {rule.n_events})")
    return compare_leads(-np.asarray(model.time_to_detect_s), -np.asarray(rule.time_to_detect_s))


def threshold_within_budget(
    scores: np.ndarray,
    episode: np.ndarray,
    t_s: np.ndarray,
    episodes: Sequence[Episode],
    budget_per_day: float,
    *,
    consecutive: int = 1,
    refractory_s: float = 600.0,
    grid: int = 400,
) -> float:
    """The lowest threshold (most events caught) whose false alarms per day stay within ``budget_per_day``
    (choose it on validation episodes, then apply it to the test episodes), searched over ``grid``
    quantiles of the scores; above every score if none fits. False alarms fall (almost always) as
    the threshold rises, so the search is a bisection."""
    qs = np.linspace(0.0, 1.0, grid)
    candidates = (
        np.unique(np.quantile(np.asarray(scores, dtype=float), qs, method="inverted_cdf"))
        if np.size(scores)
        else np.array([])
    )
    lo, hi = 0, candidates.size
    while lo < hi:
        mid = (lo + hi) // 2
        runs = window_alarm_runs(scores, episode, t_s, float(candidates[mid]), consecutive=consecutive)
        if score_runs(runs, episodes, refractory_s=refractory_s).false_alarms_per_day <= budget_per_day:
            hi = mid
        else:
            lo = mid + 1
    return float(candidates[lo]) if lo < candidates.size else float(np.nextafter(candidates.max(initial=1.0), 2.0))
