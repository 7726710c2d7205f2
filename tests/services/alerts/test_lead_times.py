"""Lead times measured on the service's own alerts: a warning on a sensor before an alarm that names that
sensor's reading is a lead; an alarm with none is unwarned; a warning that cleared with no alarm is false."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mineguard.services.alerts.lead_times import alarm_devices, measure_lead_times
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert

from .conftest import NOW


def alert(rule_id: str, opened_s: float, *, subject: str | None = None, inputs=None, state: str = "open") -> Alert:
    at = NOW + timedelta(seconds=opened_s)
    return Alert(
        key=f"{rule_id}:{subject or opened_s}",
        rule_id=rule_id,
        severity="warning",
        state=state,
        title=rule_id,
        message=rule_id,
        zone_id="face_1101",
        subject_id=subject,
        evidence={} if inputs is None else {"inputs": inputs},
        opened_at=at,
        updated_at=at,
    )


def test_the_devices_of_an_alarm_come_from_its_reading_inputs() -> None:
    assert alarm_devices({"inputs": ["reading:ch4-1101-t#17"]}) == {"ch4-1101-t"}
    combined = {"inputs": {"methane@face_1101": "reading:ch4#3", "fan.running@x": "reading:fan#9", "v": "event:4"}}
    assert alarm_devices(combined) == {"ch4", "fan"}
    assert (
        alarm_devices({"inputs": ["event:12"]}) == set() and alarm_devices(None) == set() and alarm_devices({}) == set()
    )
    assert alarm_devices({"inputs": "reading:x#1"}) == set()  # neither a list nor a map: nothing


def test_lead_times_per_alarm_rule_and_outcomes_per_warning_rule(engine, session) -> None:
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        s.add_all(
            [
                alert("risk.methane", 0, subject="ch4-a", state="resolved"),  # warned 240 s before the alarm
                alert("methane.working_face", 240, inputs=["reading:ch4-a#5"]),
                alert("risk.methane", 100, subject="ch4-b", state="resolved"),  # cleared, no alarm: false
                alert("methane.working_face", 500, inputs=["reading:ch4-c#1"]),  # no warning: unwarned
                alert("risk.methane", 600, subject="ch4-d"),  # still open, no alarm yet
                alert("risk.co", 700, subject="co-1", state="resolved"),  # warned 60 s before a combined rule
                alert("fire-combined", 760, inputs={"co@face_1101": "reading:co-1#2", "smoke": "event:3"}),
                alert("methane.working_face", 5000, inputs=["reading:ch4-b#9"]),  # far after ch4-b's warning
            ]
        )
    with sessions() as s:
        report = measure_lead_times(s, NOW - timedelta(hours=1), NOW + timedelta(hours=2), lookback_s=1800)
    alarms = {a.rule_id: a.as_dict() for a in report.alarms}
    assert alarms["methane.working_face"] == {
        "rule_id": "methane.working_face",
        "alarms": 3,
        "warned": 1,
        "unwarned": 2,
        "median_lead_s": 240.0,
        "min_lead_s": 240.0,
        "max_lead_s": 240.0,
    }
    assert alarms["fire-combined"]["warned"] == 1 and alarms["fire-combined"]["median_lead_s"] == 60.0
    warnings = {w.rule_id: w.as_dict() for w in report.warnings}
    assert warnings["risk.methane"] == {
        "rule_id": "risk.methane",
        "warnings": 3,
        "followed_by_alarm": 1,
        "false_alarms": 1,
        "open": 1,
    }
    assert warnings["risk.co"]["followed_by_alarm"] == 1
    with sessions() as s:  # only what opened in the window counts
        narrow = measure_lead_times(s, NOW + timedelta(seconds=200), NOW + timedelta(seconds=300))
    assert [(a.rule_id, a.alarms, a.lead_s) for a in narrow.alarms] == [("methane.working_face", 1, [240.0])]
    assert narrow.warnings == []


def test_bad_windows_are_refused(engine, session) -> None:
    with session_factory(engine)() as s:
        with pytest.raises(ValueError, match="is before since"):
            measure_lead_times(s, NOW, NOW - timedelta(seconds=1))
        with pytest.raises(ValueError, match="lookback_s must be > 0"):
            measure_lead_times(s, NOW, NOW, lookback_s=0)
