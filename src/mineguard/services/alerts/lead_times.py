"""How much earlier than the alarm the early warning came, measured on the service's own alerts.

Seed 003's claim is that a learned warning comes *before* the fixed threshold. The running service
checks that claim on what actually happened: every alarm (an alert of a threshold or combined rule)
names the readings behind it (``evidence["inputs"]``, sources ``reading:<device>#<seq>``); when a
warning of the risk job (``risk:<device>``, rule ``risk.<kind>``) for one of those devices was raised
in the ``lookback_s`` before the alarm, the alarm was *warned* and its lead time is the difference of
their opening times. Per alarm rule: how many alarms, how many were warned, and the lead times.
Per warning rule: how many warnings, how many an alarm followed within ``lookback_s`` (true), how many
cleared with no alarm (false alarms) and how many are still open and undecided.

Computed from the alerts table on request (``GET /api/v1/warnings/lead-times``), so it covers every
alert the service raised, whatever served model raised the warning.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Alert

WARNING_PREFIX = "risk."  # the rule ids of the risk job's warnings


@dataclass
class AlarmLeads:
    """One alarm rule: its alarms, the warned ones, and each warned alarm's lead time in seconds."""

    rule_id: str
    alarms: int = 0
    lead_s: list[float] = field(default_factory=list)

    @property
    def warned(self) -> int:
        return len(self.lead_s)

    def as_dict(self) -> dict[str, Any]:
        leads = sorted(self.lead_s)
        return {
            "rule_id": self.rule_id,
            "alarms": self.alarms,
            "warned": self.warned,
            "unwarned": self.alarms - self.warned,
            "median_lead_s": statistics.median(leads) if leads else None,
            "min_lead_s": leads[0] if leads else None,
            "max_lead_s": leads[-1] if leads else None,
        }


@dataclass
class WarningOutcomes:
    """One warning rule: its warnings and what became of them."""

    rule_id: str
    warnings: int = 0
    followed: int = 0  # an alarm on the same device came within the lookback
    false_alarms: int = 0  # cleared, and no alarm came
    open: int = 0  # still open, no alarm yet

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "warnings": self.warnings,
            "followed_by_alarm": self.followed,
            "false_alarms": self.false_alarms,
            "open": self.open,
        }


@dataclass(frozen=True)
class LeadTimeReport:
    since: datetime
    until: datetime
    lookback_s: float
    alarms: list[AlarmLeads]
    warnings: list[WarningOutcomes]


def alarm_devices(evidence: dict[str, Any] | None) -> set[str]:
    """The devices whose readings an alert's evidence names (``inputs``: a list or a name → source map)."""
    inputs = (evidence or {}).get("inputs")
    sources = inputs.values() if isinstance(inputs, dict) else inputs if isinstance(inputs, list) else []
    devices = set()
    for source in sources:
        if isinstance(source, str) and source.startswith("reading:"):
            devices.add(source.removeprefix("reading:").rsplit("#", 1)[0])
    return devices


def open_alarm_devices(session: Session) -> set[str]:
    """The devices named by the alarms whose condition is still on (the risk job does not warn about them)."""
    query = select(Alert.evidence).where(
        Alert.state != "resolved", Alert.condition_active.is_(True), ~Alert.rule_id.startswith(WARNING_PREFIX)
    )
    return {device for evidence in session.scalars(query) for device in alarm_devices(evidence)}


def measure_lead_times(
    session: Session, since: datetime, until: datetime, *, lookback_s: float = 1800.0
) -> LeadTimeReport:
    """Lead times of the warnings before the alarms opened in ``[since, until]`` (see the module text)."""
    if until < since:
        raise ValueError(f"until ({until.isoformat()}) is before since ({since.isoformat()})")
    if lookback_s <= 0:
        raise ValueError(f"lookback_s must be > 0, got {lookback_s}")
    lookback = timedelta(seconds=lookback_s)
    rows = session.scalars(
        select(Alert)
        .where(Alert.opened_at >= since - lookback, Alert.opened_at <= until + lookback)
        .order_by(Alert.opened_at)
    ).all()
    warnings = [a for a in rows if a.rule_id.startswith(WARNING_PREFIX) and a.subject_id]
    # each alarm with the devices its evidence names, read once
    alarms = [(a, d) for a in rows if not a.rule_id.startswith(WARNING_PREFIX) and (d := alarm_devices(a.evidence))]
    by_rule: dict[str, AlarmLeads] = {}
    for alarm, devices in alarms:
        if not since <= alarm.opened_at <= until:
            continue
        leads = by_rule.setdefault(alarm.rule_id, AlarmLeads(alarm.rule_id))
        leads.alarms += 1
        before = [
            w.opened_at
            for w in warnings
            if w.subject_id in devices and alarm.opened_at - lookback <= w.opened_at <= alarm.opened_at
        ]
        if before:
            leads.lead_s.append((alarm.opened_at - min(before)).total_seconds())
    outcomes: dict[str, WarningOutcomes] = {}
    for warning in warnings:
        if not since <= warning.opened_at <= until:
            continue
        out = outcomes.setdefault(warning.rule_id, WarningOutcomes(warning.rule_id))
        out.warnings += 1
        followed = any(
            warning.subject_id in devices and warning.opened_at <= a.opened_at <= warning.opened_at + lookback
            for a, devices in alarms
        )
        if followed:
            out.followed += 1
        elif warning.state == "resolved":
            out.false_alarms += 1
        else:
            out.open += 1
    return LeadTimeReport(
        since,
        until,
        lookback_s,
        sorted(by_rule.values(), key=lambda x: x.rule_id),
        sorted(outcomes.values(), key=lambda x: x.rule_id),
    )
