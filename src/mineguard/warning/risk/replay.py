"""Replay a risk model over a stretch of a site's history: which warnings it would have raised, and how they
compare with what happened.

:func:`replay_warnings` steps through ``[start_s, end_s]`` every ``step_s`` seconds and does what the
service's risk job does each round (``services/alerts/risk_job.py``): assess the sensor's readings of
the model's window, raise a warning when the probability of being past the limit at the horizon
reaches ``raise_p`` while the sensor is still inside it, keep it while the probability stays at or above
``clear_p``, and close it below that or once the limit is reached (:func:`next_active`).

:func:`score_replay` compares the warnings with the site's alarms (the threshold and combined rules'
alerts, each with the devices whose readings raised it) and the operators' verdicts:

- an alarm is **warned** when a warning on one of its devices opened in the ``lookback_s`` before it
  (lead time = alarm - warning opening), else **missed**; alarms an operator marked ``maintenance`` or
  ``test`` are not events and are left out;
- a warning is a **false alarm** when no alarm on its device came within ``lookback_s`` of its opening,
  unless an operator marked an alert about the device open at that time ``true_alarm`` (they acted, so
  the alarm never came); warnings during ``maintenance`` or ``test`` intervals are left out;
- false alarms per day = false alarms / the replayed days.

(``mineguard.evaluation.episodes`` scores simulated episodes with known onsets; here the events are the
site's own alarms, so the scoring is by device and time.)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mineguard.warning.risk.base import RiskAssessment, RiskModel
from mineguard.warning.risk.feedback import NOT_PROCESS, SiteSeries, Verdict

DAY_S = 86_400.0


def next_active(active: bool, risk: RiskAssessment, *, raise_p: float, clear_p: float) -> bool:
    """Whether a sensor's warning is on after this assessment (the risk job's hysteresis)."""
    if risk.past_limit or not math.isfinite(risk.probability):
        return False
    return risk.probability >= (clear_p if active else raise_p)


@dataclass(frozen=True)
class ReplayWarning:
    device_id: str
    opened_s: float
    closed_s: float | None  # None: still on at the end of the replay
    max_probability: float


@dataclass(frozen=True)
class Alarm:
    """An alarm of the site: when it opened and the devices whose readings raised it."""

    t_s: float
    devices: frozenset[str]
    rule_id: str = ""
    alert_id: int | None = None


def replay_warnings(
    series: SiteSeries,
    model: RiskModel,
    *,
    start_s: float,
    end_s: float,
    step_s: float = 60.0,
    raise_p: float = 0.8,
    clear_p: float = 0.3,
) -> list[ReplayWarning]:
    """The warnings ``model`` would have raised on ``series`` between ``start_s`` and ``end_s``."""
    if not 0 < clear_p < raise_p <= 1 or step_s <= 0 or end_s < start_s:
        raise ValueError(f"need 0 < clear_p < raise_p <= 1, step_s > 0, end_s >= start_s; got {clear_p}, {raise_p}")
    out: list[ReplayWarning] = []
    opened: float | None = None
    peak = 0.0
    for now in np.arange(start_s, end_s + 1e-9, step_s):
        lo, hi = np.searchsorted(series.t_s, [now - model.window_s, now], side="right")
        risk = None
        if hi > lo:
            risk = model.assess(series.t_s[lo:hi], series.values[lo:hi], limit=series.limit, op=series.op)
        on = opened is not None and risk is None  # no assessment: the job leaves the warning as it is
        if risk is not None:
            on = next_active(opened is not None, risk, raise_p=raise_p, clear_p=clear_p)
        if on and opened is None:
            opened, peak = float(now), 0.0
        if on and risk is not None:
            peak = max(peak, risk.probability)
        if not on and opened is not None:
            out.append(ReplayWarning(series.device_id, opened, float(now), peak))
            opened = None
    if opened is not None:
        out.append(ReplayWarning(series.device_id, opened, None, peak))
    return out


@dataclass(frozen=True)
class ReplayScore:
    days: float
    warnings: int
    false_alarms: int
    alarms: int
    warned: int
    lead_s: tuple[float, ...]

    @property
    def missed(self) -> int:
        return self.alarms - self.warned

    @property
    def false_alarms_per_day(self) -> float:
        return self.false_alarms / self.days if self.days > 0 else math.nan

    @property
    def median_lead_s(self) -> float | None:
        return statistics.median(self.lead_s) if self.lead_s else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "days": self.days,
            "warnings": self.warnings,
            "false_alarms": self.false_alarms,
            "false_alarms_per_day": self.false_alarms_per_day,
            "alarms": self.alarms,
            "warned": self.warned,
            "missed": self.missed,
            "median_lead_s": self.median_lead_s,
        }


def score_replay(
    warnings: Sequence[ReplayWarning],
    alarms: Sequence[Alarm],
    verdicts: Sequence[Verdict] = (),
    *,
    start_s: float,
    end_s: float,
    lookback_s: float = 1800.0,
) -> ReplayScore:
    """Warned and missed alarms, false alarms per day (see the module text) over ``[start_s, end_s]``."""
    if end_s <= start_s or lookback_s <= 0:
        raise ValueError(f"need end_s > start_s and lookback_s > 0; got {start_s}, {end_s}, {lookback_s}")
    not_events = {v.alert_id for v in verdicts if v.kind in NOT_PROCESS and v.alert_id is not None}
    events = [a for a in alarms if start_s <= a.t_s <= end_s and a.alert_id not in not_events]

    def during(device: str, t: float, kinds: tuple[str, ...]) -> bool:
        return any(v.device_id == device and v.kind in kinds and v.start_s <= t <= v.end_s for v in verdicts)

    counted = [
        w for w in warnings if start_s <= w.opened_s <= end_s and not during(w.device_id, w.opened_s, NOT_PROCESS)
    ]
    leads = []
    for alarm in events:
        before = [
            w.opened_s for w in counted if w.device_id in alarm.devices and 0 <= alarm.t_s - w.opened_s <= lookback_s
        ]
        if before:
            leads.append(alarm.t_s - min(before))
    false = sum(
        1
        for w in counted
        if not any(w.device_id in a.devices and 0 <= a.t_s - w.opened_s <= lookback_s for a in alarms)
        and not during(w.device_id, w.opened_s, ("true_alarm",))
    )
    return ReplayScore((end_s - start_s) / DAY_S, len(counted), false, len(events), len(leads), tuple(leads))
