"""Every reading is cleansed on its way in (issue 14): a spiky methane head on the in-process bus.

3 % methane spikes among 0.3 % readings (sent in ppm) are stored with the ``spike`` flag beside the
canonical value and the raw value and unit, are held back from the rules, so even rules that fire
on a single reading (``for_s=0``) raise no methane alarm, and the sensor-health job raises
``sensor-health:<device>`` instead. Without the cleanser the same readings do raise the alarm.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from mineguard.services.alerts.health_job import check_sensor_health
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.ingest.bus import InProcessBus, topic_for
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import SensorReading
from mineguard.warning.sensing import Flag, LiveCleanser
from pipelines import instant_pipeline

from .conftest import NOW, T0, reading

SITE = "sample-coal-mine"
SPIKES = (12, 18, 24)


def _spiky_methane() -> list[bytes]:
    """30 face methane readings one second apart, 3000 ppm (0.3 %) but 30000 ppm (3 %) at SPIKES."""
    return [
        json.dumps(reading(seq, value=30_000.0 if seq in SPIKES else 3_000.0, unit="ppm")).encode() for seq in range(30)
    ]


def _through_the_bus(sessions, cleanser: LiveCleanser | None) -> tuple[AlertPipeline, list]:
    """Publish the readings on the bus to a worker whose reports feed a pipeline with instant rules."""
    changes: list = []
    pipeline = instant_pipeline(sessions, on_change=changes.append)  # one reading over a limit raises
    bus = InProcessBus()
    worker = IngestWorker(
        bus,
        sessions,
        site_id=SITE,
        clock=lambda: NOW,
        cleanser=cleanser,
        on_report=lambda report: pipeline.observe_readings(report.accepted),
    )
    worker.start()
    bus.start()
    try:
        for payload in _spiky_methane():
            bus.publish(topic_for(SITE, "ch4-1101-t", "methane"), payload)
        assert bus.drain(timeout=10) and worker.flush(timeout=20)
    finally:
        worker.stop()
        bus.stop()
    return pipeline, changes


def test_without_the_cleanser_the_spikes_would_raise_the_methane_alarm(engine, session) -> None:
    _, changes = _through_the_bus(session_factory(engine), None)
    assert any(c.kind == "raised" and c.alert.rule_id.startswith("methane.") for c in changes)


def test_spikes_are_stored_flagged_with_raw_values_raise_no_alarm_and_raise_sensor_health(engine, session) -> None:
    sessions = session_factory(engine)
    cleanser = LiveCleanser()
    pipeline, changes = _through_the_bus(sessions, cleanser)
    with sessions() as s:
        rows = {r.seq: r for r in s.scalars(select(SensorReading).where(SensorReading.device_id == "ch4-1101-t"))}
    assert len(rows) == 30
    assert {seq for seq, r in rows.items() if r.flags} == set(SPIKES)
    spike = rows[SPIKES[0]]
    assert (spike.flags, spike.value, spike.unit, spike.raw_value, spike.raw_unit) == (
        Flag.SPIKE,
        3.0,
        "%",
        30_000.0,
        "ppm",
    )
    assert changes == []  # no methane alarm: the spikes never reached the rules
    assert pipeline.feed.counts() == {"fed": 27, "flagged": 3, "late": 0}
    assert cleanser.flagged == {"spike": 3}

    health = check_sensor_health(sessions, T0 + timedelta(seconds=35))
    (raised,) = [c for c in health if c.alert.subject_id == "ch4-1101-t"]
    assert raised.kind == "raised" and raised.alert.rule_id == "sensor-health"
    assert raised.alert.title == "Sensor ch4-1101-t spiky" and "3 isolated spikes" in raised.alert.message
    assert raised.alert.evidence["status"] == "spiky"
