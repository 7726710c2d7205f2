"""Sensor health as its own signal and alert (seed 003 §3.1; issue "Platform core II").

Every ``period_s`` the job assesses each sensor that has reported at least once (a sensor that
never reported is not commissioned yet, not dead) from its recent readings: stale, stuck,
drifting or dead raises an alert ``sensor-health:<device>`` (dead is critical — the area is
unmonitored; the others are warnings), and a healthy verdict resolves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.ingest.store import commissioned_sensors, recent_readings
from mineguard.services.rules.regulation import Severity
from mineguard.services.sensing.health import assess_health

ACTIONS = {
    "stale": "check the sensor's power and link; the area is not being monitored live",
    "dead": "send someone to check the sensor now; treat {zone} as unmonitored",
    "stuck": "check the sensor head",
    "drifting": "calibrate the sensor against a hand-held instrument",
}


def check_sensor_health(sessions: sessionmaker[Session], now: datetime, *, window_s: float = 6 * 3600,
                        policy: EscalationPolicy | None = None) -> list[book.AlertChange]:  # fmt: skip
    changes: list[book.AlertChange] = []
    with sessions() as session, session.begin():
        for device in commissioned_sensors(session):
            rows = recent_readings(session, device.id, now - timedelta(seconds=window_s))
            if not rows:  # nothing in the window: judge from the last reading alone
                rows = [(device.updated_at, float((device.state or {}).get("value", np.nan)))]
            t = np.array([np.datetime64(when.replace(tzinfo=None), "ms") for when, _ in rows])
            values = np.array([value for _, value in rows], dtype=float)
            health = assess_health(t, values, now, device.sensor_kind or "", device_id=device.id)
            key = f"sensor-health:{device.id}"
            if health.ok:
                change = book.condition_cleared(session, key, now, "sensor healthy again")
            else:
                action = ACTIONS.get(health.status, "check the sensor").format(zone=device.zone_id or "its area")
                severity = Severity.CRITICAL if health.status == "dead" else Severity.WARNING
                change = book.raise_or_update(
                    session, key=key, rule_id="sensor-health", severity=severity, t=now, zone_id=device.zone_id,
                    subject_id=device.id, title=f"Sensor {device.id} {health.status}",
                    message=f"{health.reason} — {action}", policy=policy or EscalationPolicy(),
                    evidence={"status": health.status, "age_s": health.age_s, "slope_per_hour": health.slope_per_hour},
                )  # fmt: skip
            if change is not None:
                changes.append(change)
    return changes
