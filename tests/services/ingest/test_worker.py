"""The ingest worker under hostile input and a failing database (issue 13): a poison message is
refused alone and the stream behind it goes on; a database that is away keeps everything; the
status snapshot shows the lag and says when ingest is stuck."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from mineguard.services.ingest import worker as worker_module
from mineguard.services.ingest.bus import InProcessBus, topic_for
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import RejectedPayload, SensorReading
from service_inputs import POISON

from .conftest import NOW, reading

SITE = "sample-coal-mine"
METHANE = topic_for(SITE, "ch4-1101-t", "methane")


def _run(sessions, publish, **kwargs) -> IngestWorker:
    bus = InProcessBus()
    worker = IngestWorker(bus, sessions, site_id=SITE, clock=lambda: NOW, **kwargs)
    worker.start()
    bus.start()
    try:
        publish(bus)
        assert bus.drain(timeout=10) and worker.flush(timeout=20)
    finally:
        worker.stop()
        bus.stop()
    return worker


def _counts(sessions) -> tuple[int, list[RejectedPayload]]:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(SensorReading)), list(s.scalars(select(RejectedPayload)))


def test_a_poison_reading_is_refused_alone_and_the_stream_goes_on(engine, session) -> None:
    sessions = session_factory(engine)
    poison = json.dumps(POISON).encode()

    def publish(bus: InProcessBus) -> None:
        for seq in range(50):
            bus.publish(METHANE, json.dumps(reading(seq)).encode())
        bus.publish(topic_for(SITE, "co-belt", "co"), poison)
        for seq in range(50, 100):
            bus.publish(METHANE, json.dumps(reading(seq)).encode())

    worker = _run(sessions, publish, batch_size=500, max_delay_ms=50)
    stored, rejects = _counts(sessions)
    assert stored == 100 and worker.totals.accepted == 100
    (reject,) = rejects
    assert (reject.reason, reject.device_id, reject.seq) == ("invalid_schema", "co-belt", 3000100)
    assert "t: 9999-12-31T23:59:59-14:00 is out of range" in reject.detail and reject.payload == poison.decode()


def test_a_message_whose_storage_raises_is_refused_alone(engine, session, monkeypatch) -> None:
    """Whatever makes storing one message fail (here: the store raises for seq 7), it is refused
    ``internal_error`` with its payload kept, and every other message of its batch is stored."""
    sessions = session_factory(engine)
    real_ingest = worker_module.ingest

    def ingest_failing_on_seq_7(session, payloads, **kwargs):
        if any(json.loads(p)["seq"] == 7 for p in payloads):
            raise ValueError("cannot store seq 7")
        return real_ingest(session, payloads, **kwargs)

    monkeypatch.setattr(worker_module, "ingest", ingest_failing_on_seq_7)

    def publish(bus: InProcessBus) -> None:
        for seq in range(20):
            bus.publish(METHANE, json.dumps(reading(seq)).encode())

    worker = _run(sessions, publish, batch_size=500, max_delay_ms=50)
    stored, rejects = _counts(sessions)
    assert stored == 19 and worker.totals.accepted == 19
    (reject,) = rejects
    assert (reject.reason, reject.device_id, reject.source) == ("internal_error", "ch4-1101-t", "bus")
    assert "ValueError: cannot store seq 7" in reject.detail and json.loads(reject.payload)["seq"] == 7
    status = worker.status()
    assert (status.waiting, status.lag_s, status.consecutive_failures) == (0, None, 0)
    assert dict(worker.totals.rejected) == {"internal_error": 1}


def test_while_the_database_is_away_nothing_is_refused_or_lost(sqlite_engine) -> None:
    sessions = session_factory(sqlite_engine)
    outage = {"left": 3}

    def flaky_sessions():
        if outage["left"]:
            outage["left"] -= 1
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("database is down"))
        return sessions()

    def publish(bus: InProcessBus) -> None:
        for seq in range(5):
            payload = reading(seq, device_id="dust-1101", kind="dust", value=2.0, unit="mg/m3")
            bus.publish(topic_for(SITE, "dust-1101", "dust"), json.dumps(payload).encode())

    worker = _run(flaky_sessions, publish, batch_size=10, max_delay_ms=5, retry_s=0.01, source="bus:outage")
    assert outage["left"] == 0 and worker.totals.accepted == 5 and not worker.totals.rejected
    with sessions() as s:
        assert s.scalar(select(func.count()).where(SensorReading.source == "bus:outage")) == 5
        assert s.scalar(select(func.count()).where(RejectedPayload.source == "bus:outage")) == 0


def test_status_shows_the_lag_and_says_when_ingest_is_stuck(sqlite_engine) -> None:
    sessions = session_factory(sqlite_engine)
    down = {"yes": True}

    def failing_sessions():
        if down["yes"]:
            raise OperationalError("BEGIN", {}, ConnectionRefusedError("database is down"))
        return sessions()

    bus = InProcessBus()
    worker = IngestWorker(
        bus, failing_sessions, site_id=SITE, max_delay_ms=5, retry_s=0.02, clock=lambda: NOW, source="bus:stuck"
    )
    worker.start()
    bus.start()
    try:
        payload = reading(1, device_id="temp-1101", kind="temperature", value=24.0, unit="degC")
        bus.publish(topic_for(SITE, "temp-1101", "temperature"), json.dumps(payload).encode())
        assert bus.drain(timeout=5)
        time.sleep(0.4)
        status = worker.status()
        assert status.running and status.waiting == 1 and status.lag_s >= 0.3 and status.consecutive_failures >= 2
        assert status.problem(stuck_s=60) is None  # lagging, not yet stuck
        problem = status.problem(stuck_s=0.2)
        assert problem.startswith("ingest stuck: 1 message waiting, the oldest for 0 s (limit 0.2 s)")
        assert "failed attempts to store, the last: OperationalError" in problem
        down["yes"] = False
        assert worker.flush(timeout=5)
        recovered = worker.status()
        assert (recovered.waiting, recovered.lag_s, recovered.consecutive_failures) == (0, None, 0)
        assert recovered.last_stored_at is not None and recovered.problem(stuck_s=0.2) is None
    finally:
        worker.stop()
        bus.stop()
    assert "the ingest worker has stopped" in worker.status().problem(stuck_s=60)


def test_a_worker_stores_only_the_devices_it_accepts_and_acknowledges_the_rest(engine, session) -> None:
    sessions = session_factory(engine)
    co = topic_for(SITE, "co-belt", "co")

    def publish(bus: InProcessBus) -> None:
        for seq in range(1, 6):
            bus.publish(METHANE, json.dumps(reading(seq)).encode())
            co_reading = reading(seq, device_id="co-belt", kind="co", value=3.0, unit="ppm")
            bus.publish(co, json.dumps(co_reading).encode())

    worker = _run(sessions, publish, accept=lambda device: device != "co-belt")
    with sessions() as s:
        stored = set(s.scalars(select(SensorReading.device_id)))
    assert stored == {"ch4-1101-t"} and worker.totals.accepted == 5 and _counts(sessions)[1] == []
    assert worker.patterns == [f"mineguard/{SITE}/+/+"]


def test_a_batch_message_is_stored_reading_by_reading_and_a_bad_one_is_refused_alone(engine, session) -> None:
    sessions = session_factory(engine)
    backlog = [reading(seq) for seq in range(40)]
    backlog[7] = {**backlog[7], "value": "NaN"}  # a bad reading inside the batch
    backlog[9] = reading(9, device_id="co-belt", kind="co", unit="ppm")  # another device's, on this topic

    def publish(bus: InProcessBus) -> None:
        bus.publish(METHANE, json.dumps(backlog).encode())
        bus.publish(
            METHANE, b'\xef\xbb\xbf {"readings": ' + json.dumps([reading(s) for s in range(40, 60)]).encode() + b"}"
        )
        bus.publish(METHANE, json.dumps(reading(60)).encode())  # one reading, as before

    worker = _run(sessions, publish, batch_size=500, max_delay_ms=50)
    stored, rejects = _counts(sessions)
    assert stored == 59 and worker.totals.accepted == 59
    by_seq = {r.seq: r for r in rejects}
    assert sorted(by_seq) == [7, 9] and by_seq[7].reason == "invalid_schema" and "value" in by_seq[7].detail
    assert json.loads(by_seq[7].payload) == backlog[7]  # the bad reading is kept as it came, not its batch
    assert by_seq[9].reason == "invalid_schema" and "topic says device 'ch4-1101-t'" in by_seq[9].detail


def test_a_batch_message_that_cannot_be_read_is_refused_whole_under_its_topics_device(engine, session) -> None:
    sessions = session_factory(engine)
    too_many = json.dumps([reading(s) for s in range(1001)]).encode()

    def publish(bus: InProcessBus) -> None:
        bus.publish(METHANE, b'{"readings": 5}')
        bus.publish(METHANE, b"[" + b"1," * 600_000 + b"1]")  # 1.2 MB
        bus.publish(METHANE, too_many)
        bus.publish(METHANE, b'[{"device_id": "ch4-1101-t"')  # cut short
        bus.publish(METHANE, json.dumps([reading(1)]).encode())

    worker = _run(sessions, publish, batch_size=500, max_delay_ms=50)
    stored, rejects = _counts(sessions)
    assert stored == 1 and worker.totals.accepted == 1
    got = sorted(r.reason for r in rejects)
    assert got == ["invalid_schema", "invalid_schema", "malformed_json", "oversized"]
    assert {r.device_id for r in rejects} == {"ch4-1101-t"}
    details = " | ".join(r.detail for r in rejects)
    assert (
        "message is int —" in details and "at most 1000 are taken" in details and "1000 readings per message" in details
    )


def test_a_transaction_holds_about_batch_size_readings_however_they_are_grouped(engine, session) -> None:
    sessions = session_factory(engine)

    def publish(bus: InProcessBus) -> None:
        for first in range(0, 300, 60):  # 5 messages of 60 readings
            bus.publish(METHANE, json.dumps([reading(s) for s in range(first, first + 60)]).encode())

    worker = _run(sessions, publish, batch_size=100, max_delay_ms=2000)
    assert _counts(sessions)[0] == 300 and worker.totals.accepted == 300
    assert worker.totals.batches == 3  # 120 + 120 + 60: a message is never split, nor 5 x 60 in one


def test_a_batch_message_whose_storage_raises_is_kept_reading_by_reading(engine, session, monkeypatch) -> None:
    """A 700-reading batch message that makes the store raise is refused ``internal_error``, each of its
    readings kept whole on its own (the message itself, ~90 KB, would be cut at the 64 KiB payload limit)."""
    sessions = session_factory(engine)
    real_ingest = worker_module.ingest

    def ingest_failing_on_the_batch(session, payloads, **kwargs):
        if any(not isinstance(p, bytes) for p in payloads):  # the readings of a batch message
            raise ValueError("cannot store this batch")
        return real_ingest(session, payloads, **kwargs)

    monkeypatch.setattr(worker_module, "ingest", ingest_failing_on_the_batch)
    backlog = [reading(seq) for seq in range(100, 800)]

    def publish(bus: InProcessBus) -> None:
        bus.publish(METHANE, json.dumps(reading(1)).encode())
        bus.publish(METHANE, json.dumps(backlog).encode())
        bus.publish(METHANE, json.dumps(reading(2)).encode())

    worker = _run(sessions, publish, batch_size=500, max_delay_ms=50)
    stored, rejects = _counts(sessions)
    assert stored == 2 and worker.totals.accepted == 2
    assert len(json.dumps(backlog)) > 64 * 1024
    assert len(rejects) == 700 and dict(worker.totals.rejected) == {"internal_error": 700}
    assert sorted(json.loads(r.payload)["seq"] for r in rejects) == list(range(100, 800))
    assert {(r.reason, r.device_id, r.truncated) for r in rejects} == {("internal_error", "ch4-1101-t", False)}
    assert all("ValueError: cannot store this batch" in r.detail for r in rejects)
