"""Sensor health as its own signal and alert (seed 003 §3.1; issue "Platform core II").

Every ``period_s`` the job assesses each sensor that has reported at least once (a sensor that
never reported is not commissioned yet, not dead) from its recent readings and the cleansing flags
they were stored with: stale, stuck, drifting, spiky (a burst of spikes), out of range or dead
raises an alert ``sensor-health:<device>`` (dead is critical — the area is unmonitored; the others
are warnings), and a healthy verdict resolves it. Flagged values never reach the rules, so this
alert is how the control room learns of them.

Ingest itself is watched the same way (:func:`check_ingest_health`): when received readings wait
unstored longer than ``stuck_s`` or the ingest worker has died, every sensor falls silent at
once, so a critical ``ingest-health:<site>`` alert is raised, and resolved when ingest recovers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.ingest.history import commissioned_sensors, recent_flagged_readings
from mineguard.services.ingest.worker import IngestStatus
from mineguard.warning.sensing.health import assess_health

ACTIONS = {
    "stale": "check the sensor's power and link; the area is not being monitored live",
    "dead": "send someone to check the sensor now; treat {zone} as unmonitored",
    "stuck": "check the sensor head",
    "drifting": "calibrate the sensor against a hand-held instrument",
    "spiky": "check {zone} with a hand-held instrument until the sensor is fixed",
    "out_of_range": "check {zone} with a hand-held instrument until the sensor is fixed",
    "ingest_stalled": "check the ingest service and its database; until ingest recovers no sensor reading reaches "
    "the alarms — monitor the mine with hand-held instruments",
}


def check_sensor_health(
    sessions: sessionmaker[Session],
    now: datetime,
    *,
    window_s: float = 6 * 3600,
    policy: EscalationPolicy | None = None,
) -> list[book.AlertChange]:
    changes: list[book.AlertChange] = []
    with sessions() as session, session.begin():
        for device in commissioned_sensors(session):
            rows = recent_flagged_readings(session, device.id, now - timedelta(seconds=window_s))
            if not rows:  # nothing in the window: judge from the last reading alone
                rows = [(device.updated_at, float((device.state or {}).get("value", np.nan)), 0)]
            t = np.array([np.datetime64(when.replace(tzinfo=None), "ms") for when, _, _ in rows])
            values = np.array([value for _, value, _ in rows], dtype=float)
            flags = np.array([mask for _, _, mask in rows], dtype=np.int64)
            health = assess_health(t, values, now, device.sensor_kind or "", device_id=device.id, flags=flags)
            key = f"sensor-health:{device.id}"
            if health.ok:
                change = book.condition_cleared(session, key, now, "sensor healthy again")
            else:
                action = ACTIONS.get(health.status, "check the sensor").format(zone=device.zone_id or "its area")
                severity = Severity.CRITICAL if health.status == "dead" else Severity.WARNING
                change = book.raise_or_update(
                    session,
                    key=key,
                    rule_id="sensor-health",
                    severity=severity,
                    t=now,
                    zone_id=device.zone_id,
                    subject_id=device.id,
                    title=f"Sensor {device.id} {health.status.replace('_', ' ')}",
                    message=f"{health.reason} — {action}",
                    policy=policy or EscalationPolicy(),
                    evidence={"status": health.status, "age_s": health.age_s, "slope_per_hour": health.slope_per_hour},
                )
            if change is not None:
                changes.append(change)
    return changes


def check_ingest_health(
    sessions: sessionmaker[Session],
    status: IngestStatus,
    now: datetime,
    *,
    stuck_s: float,
    site_id: str,
    policy: EscalationPolicy | None = None,
) -> list[book.AlertChange]:
    """Raise (or update) the critical ``ingest-health:<site_id>`` alert while ``status`` is stuck;
    resolve it once ingest has recovered. Needs a working database to record the alert; while the
    database itself is down, ``GET /api/v1/health`` (503) is the signal."""
    key, problem = f"ingest-health:{site_id}", status.problem(stuck_s)
    with sessions() as session, session.begin():
        if problem is None:
            change = book.condition_cleared(session, key, now, "ingest recovered")
        else:
            change = book.raise_or_update(
                session,
                key=key,
                rule_id="ingest-health",
                severity=Severity.CRITICAL,
                t=now,
                subject_id=site_id,
                title="Ingest stalled: sensor readings are not being stored",
                message=f"{problem} — {ACTIONS['ingest_stalled']}",
                policy=policy or EscalationPolicy(),
                evidence={"status": "ingest_stalled", **status.to_json()},
            )
    return [] if change is None else [change]
