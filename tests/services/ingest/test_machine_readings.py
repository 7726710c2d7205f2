"""Machine telemetry is ordinary readings: run state and bearing temperature of the sample site's
machine sensors, accepted as HTTP sends them (no topic) and as MQTT does (topic device and kind)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mineguard.services.ingest.store import ingest
from mineguard.services.storage.models import Device

from .conftest import NOW, reading


@pytest.mark.parametrize("topic", [False, True], ids=["http", "mqtt"])
def test_run_state_and_bearing_readings_are_stored_canonical(db: Session, topic: bool) -> None:
    payloads = [
        reading(1, device_id="fan-f2-run", kind="running", value=1, unit="on/off"),
        reading(2, device_id="fan-f2-run", kind="running", value=0, unit="state"),
        reading(1, device_id="belt-b1-bearing", kind="bearing_temp", value=167, unit="degF"),
    ]
    expected = [(p["device_id"], p["kind"]) for p in payloads] if topic else None
    report = ingest(db, payloads, source="test", now=NOW, expected=expected)
    assert report.rejections == []
    assert [(r.device_id, r.value, r.unit, r.raw_unit) for r in report.accepted] == [
        ("fan-f2-run", 1.0, "state", "on/off"),
        ("fan-f2-run", 0.0, "state", "state"),
        ("belt-b1-bearing", pytest.approx(75.0), "degC", "degF"),
    ]
    assert db.get(Device, "fan-f2-run").state["value"] == 0.0  # the live state is the newest reading


def test_a_run_state_outside_0_and_1_is_refused_naming_the_span(db: Session) -> None:
    report = ingest(
        db, [reading(1, device_id="fan-f2-run", kind="running", value=3, unit="state")], source="t", now=NOW
    )
    assert report.accepted == [] and report.rejected_by_reason == {"out_of_range": 1}
    assert "running 3 state is outside the physical span 0..1 state" in report.rejections[0].detail
