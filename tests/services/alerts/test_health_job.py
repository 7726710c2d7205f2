"""Sensor health alerts from stored readings: stale and stuck sensors raise, a healthy or a
never-commissioned one does not, and fresh readings resolve the alert."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select

from mineguard.services.alerts.health_job import check_sensor_health
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert

from .conftest import NOW, store_readings


def test_stale_and_stuck_sensors_raise_and_recover(engine, session) -> None:
    sessions = session_factory(engine)
    rng = np.random.default_rng(0)
    minutes = [NOW - timedelta(minutes=m) for m in range(180, 0, -1)]
    store_readings(sessions, "co-belt", "co", "ppm", minutes, 3 + rng.normal(0, 0.3, 180))  # healthy, noisy, recent
    store_readings(sessions, "ch4-1101-t", "methane", "%", minutes, [0.42] * 180)  # stuck for 3 h
    old = [t - timedelta(minutes=15) for t in minutes]
    store_readings(sessions, "temp-1101", "temperature", "degC", old, 24 + rng.normal(0, 0.2, 180))  # silent for 16 min
    changes = check_sensor_health(sessions, NOW)
    by_subject = {c.alert.subject_id: c.alert for c in changes}
    assert set(by_subject) == {"ch4-1101-t", "temp-1101"}  # co-belt healthy; never-reported sensors skipped
    assert by_subject["ch4-1101-t"].title == "Sensor ch4-1101-t stuck" and "0.42 %" in by_subject["ch4-1101-t"].message
    assert by_subject["temp-1101"].severity == "warning" and "power and link" in by_subject["temp-1101"].message
    assert check_sensor_health(sessions, NOW) == []  # still the same conditions: no new alerts
    fresh = [NOW - timedelta(seconds=30 * i) for i in range(5, 0, -1)]
    store_readings(sessions, "temp-1101", "temperature", "degC", fresh, [24.1, 24.3, 24.0, 24.2, 24.4], seq0=1000)
    resolved = check_sensor_health(sessions, NOW)
    assert [(c.kind, c.alert.subject_id) for c in resolved] == [("resolved", "temp-1101")]
    with sessions() as s:
        states = {a.subject_id: a.state for a in s.scalars(select(Alert))}
    assert states == {"ch4-1101-t": "open", "temp-1101": "resolved"}


def test_a_sensor_reading_outside_its_span_raises_and_recovers(engine, session) -> None:
    """Flags given at ingest count: 12 % methane (a 0..10 % head, saturated) is stored flagged
    ``out_of_range`` and raises the sensor-health alert; readings back in span resolve it."""
    from mineguard.warning.sensing import LiveCleanser

    sessions, cleanser = session_factory(engine), LiveCleanser()
    times = [NOW - timedelta(seconds=30 * i) for i in range(120, 0, -1)]
    values = [0.3 + 0.01 * (i % 3) for i in range(117)] + [12.0] * 3
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, values, cleanser=cleanser)
    (change,) = check_sensor_health(sessions, NOW)
    assert (change.kind, change.alert.title) == ("raised", "Sensor ch4-1101-t out of range")
    assert "outside its span 0..10 %" in change.alert.message and change.alert.severity == "warning"
    fresh = [NOW + timedelta(seconds=30 * i) for i in range(1, 6)]
    store_readings(sessions, "ch4-1101-t", "methane", "%", fresh, [0.31] * 5, seq0=500, cleanser=cleanser)
    (resolved,) = check_sensor_health(sessions, NOW + timedelta(seconds=160))
    assert resolved.kind == "resolved" and resolved.alert.id == change.alert.id
