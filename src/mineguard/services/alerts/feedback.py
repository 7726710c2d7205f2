"""A site's history as the risk model's teacher reads it: cleansed series, alarms, and the operators' verdicts.

Read from the service's database for a stretch ``[since, until]``:

- :func:`site_series`: every commissioned sensor the risk job judges (``risk_job.judged_limit``), its
  cleansed readings (flagged ones left out) with that limit;
- :func:`site_alarms`: the alerts of the threshold and combined rules, each with the devices whose
  readings raised it (``lead_times.alarm_devices``); the risk job's own warnings are not alarms;
- :func:`verdicts`: every acknowledged alert with a reason (``true_alarm``, ``false_alarm``, ``maintenance``,
  ``test``) as one :class:`~mineguard.warning.risk.feedback.Verdict` per device it is about (a warning's
  sensor, an alarm's input devices), open from its opening to its resolution (or ``until``).

``mineguard warn retrain`` trains on the older part of the stretch and replays on the newer.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.services.alerts.lead_times import WARNING_PREFIX, alarm_devices
from mineguard.services.alerts.risk_job import judged_limit
from mineguard.services.ingest.history import commissioned_sensors, recent_readings
from mineguard.services.storage.models import Alert, AlertEvent, Zone
from mineguard.warning.risk.feedback import VERDICTS, SiteSeries, Verdict
from mineguard.warning.risk.replay import Alarm
from mineguard.warning.sensing.checks import BAD_FLAGS


def site_series(session: Session, since: datetime, until: datetime) -> list[SiteSeries]:
    """The cleansed readings in ``[since, until]`` of each sensor the risk job judges, with its limit."""
    zones = {z.id: z for z in session.scalars(select(Zone))}
    out = []
    for device in commissioned_sensors(session):
        zone = zones.get(device.zone_id or "")
        level = judged_limit(device.sensor_kind or "", zone.kind if zone else None)
        if level is None:
            continue
        rows = [
            (t, v) for t, v in recent_readings(session, device.id, since, without_flags=int(BAD_FLAGS)) if t <= until
        ]
        if not rows:
            continue
        t = np.array([when.timestamp() for when, _ in rows])
        values = np.array([value for _, value in rows], dtype=float)
        out.append(SiteSeries(device.id, t, values, level.value, level.op))  # type: ignore[arg-type]
    return out


def _alerts(session: Session, since: datetime, until: datetime) -> list[Alert]:
    query = select(Alert).where(Alert.opened_at >= since, Alert.opened_at <= until).order_by(Alert.opened_at)
    return list(session.scalars(query))


def _devices(alert: Alert) -> set[str]:
    if alert.rule_id.startswith(WARNING_PREFIX):
        return {alert.subject_id} if alert.subject_id else set()
    return alarm_devices(alert.evidence)


def site_alarms(session: Session, since: datetime, until: datetime) -> list[Alarm]:
    """The threshold and combined rules' alerts opened in ``[since, until]`` that name the readings behind them."""
    return [
        Alarm(a.opened_at.timestamp(), frozenset(devices), a.rule_id, a.id)
        for a in _alerts(session, since, until)
        if not a.rule_id.startswith(WARNING_PREFIX) and (devices := alarm_devices(a.evidence))
    ]


def verdicts(session: Session, since: datetime, until: datetime) -> list[Verdict]:
    """The reasons operators gave when acknowledging the alerts opened in ``[since, until]``."""
    alerts = {a.id: a for a in _alerts(session, since, until)}
    if not alerts:
        return []
    events = session.scalars(
        select(AlertEvent).where(AlertEvent.alert_id.in_(alerts), AlertEvent.kind == "acknowledged")
    )
    out = []
    for event in events:
        reason = (event.detail or {}).get("reason")
        if reason not in VERDICTS:
            continue
        alert = alerts[event.alert_id]
        end = (alert.resolved_at or until).timestamp()
        start = alert.opened_at.timestamp()
        warning = alert.rule_id.startswith(WARNING_PREFIX)
        out += [
            Verdict(device, start, max(start, end), reason, alert.id, warning) for device in sorted(_devices(alert))
        ]
    return out
