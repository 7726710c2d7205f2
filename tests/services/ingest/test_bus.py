"""The in-process bus (MQTT topics and wildcards, order, at-least-once, stop and drain) and the
ingest worker end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select

from mineguard.services.ingest.bus import (
    BusClosed,
    BusFull,
    InProcessBus,
    TopicError,
    check_pattern,
    parse_topic,
    topic_for,
    topic_matches,
)
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import RejectedPayload, SensorReading

from .conftest import NOW, reading

SITE = "sample-coal-mine"


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("mineguard/site/+/+", "mineguard/site/ch4-1/methane", True),
        ("mineguard/site/+/+", "mineguard/site/ch4-1", False),
        ("mineguard/site/+/+", "mineguard/site/ch4-1/methane/extra", False),
        ("mineguard/+/ch4-1/methane", "mineguard/other/ch4-1/methane", True),
        ("mineguard/#", "mineguard/site/ch4-1/methane", True),
        ("mineguard/#", "mineguard", True),  # '#' also matches the parent level
        ("#", "anything/at/all", True),
        ("mineguard/site/#", "mineguard/other/ch4-1/methane", False),
        ("mineguard/site/ch4-1/methane", "mineguard/site/ch4-1/methane", True),
        ("mineguard/site/ch4-1/methane", "mineguard/site/ch4-1/co", False),
        ("mineguard/site/+/methane", "mineguard/site//methane", True),  # '+' matches an empty level, as in MQTT
    ],
)
def test_topic_matches(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("mineguard/#/x", "'#' must be the last level"), ("mineguard/site+/x", "a wildcard must be a whole level")],
)
def test_bad_patterns(pattern: str, message: str) -> None:
    with pytest.raises(TopicError, match=message):
        check_pattern(pattern)
    with pytest.raises(TopicError, match=message):
        InProcessBus().subscribe(pattern, lambda topic, payload: None)


def test_topic_scheme() -> None:
    topic = topic_for(SITE, "ch4-1101-t", "methane")
    assert topic == "mineguard/sample-coal-mine/ch4-1101-t/methane"
    parts = parse_topic(topic)
    assert (parts.site_id, parts.device_id, parts.kind) == (SITE, "ch4-1101-t", "methane")
    with pytest.raises(TopicError, match=r"device_id 'a/b' cannot be a topic level — use letters, digits"):
        topic_for(SITE, "a/b", "methane")
    with pytest.raises(TopicError, match=r"kind '\+' cannot be a topic level"):
        topic_for(SITE, "ch4", "+")
    for bad in ("mineguard/site/dev", "other/site/dev/methane", "mineguard/site/dev/methane/x"):
        with pytest.raises(TopicError, match=r"is not a reading topic — use mineguard/<site_id>/<device_id>/<kind>"):
            parse_topic(bad)
    with pytest.raises(TopicError, match=r"topic 'mineguard/site//methane': device_id '' cannot be a topic level"):
        parse_topic("mineguard/site//methane")


def test_delivery_in_publish_order_per_topic_with_wildcards() -> None:
    bus = InProcessBus(maxsize=50)
    got: dict[str, list[tuple[str, bytes]]] = {"all": [], "methane": [], "one": []}
    bus.subscribe("mineguard/#", lambda t, p: got["all"].append((t, p)))
    bus.subscribe("mineguard/s/+/methane", lambda t, p: got["methane"].append((t, p)))
    bus.subscribe("mineguard/s/ch4-a/methane", lambda t, p: got["one"].append((t, p)))
    bus.publish("mineguard/s/ch4-a/methane", b"queued before start")
    bus.start()

    def publisher(device: str) -> None:
        for i in range(200):
            bus.publish(f"mineguard/s/{device}/methane", str(i).encode())

    threads = [threading.Thread(target=publisher, args=(d,)) for d in ("ch4-a", "ch4-b", "ch4-c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bus.publish("mineguard/s/co-1/co", b"co")
    assert bus.drain(timeout=10)
    assert len(got["all"]) == 602 and len(got["methane"]) == 601
    assert got["one"][0] == ("mineguard/s/ch4-a/methane", b"queued before start")
    for device in ("ch4-a", "ch4-b", "ch4-c"):
        sequence = [int(p) for t, p in got["methane"] if t.split("/")[2] == device and p.isdigit()]
        assert sequence == list(range(200))  # in order per topic
    bus.stop()


def test_a_failing_handler_gets_the_message_again() -> None:
    bus = InProcessBus(max_attempts=3, retry_delay_s=0)
    calls: list[bytes] = []

    def flaky(topic: str, payload: bytes) -> None:
        calls.append(payload)
        if len(calls) < 3:
            raise ConnectionError("database away")

    bus.subscribe("a/+", flaky)
    bus.start()
    bus.publish("a/b", b"1")
    bus.publish("a/b", b"2")
    assert bus.drain(timeout=5)
    assert calls == [b"1", b"1", b"1", b"2"] and bus.failed == 0
    bus.stop()


def test_stop_delivers_what_is_queued_then_refuses() -> None:
    bus = InProcessBus(maxsize=2, put_timeout_s=0.05)
    release, got = threading.Event(), []
    bus.subscribe("#", lambda t, p: (release.wait(5), got.append(p)))
    assert bus.drain(timeout=0)  # nothing published yet
    bus.publish("t", b"1")
    bus.publish("t", b"2")
    with pytest.raises(BusFull, match=r"queue full for 0.05 s \(2 messages\) — the subscribers are behind"):
        bus.publish("t", b"3")  # not started: nobody takes messages off the queue
    assert not bus.drain(timeout=0.05)
    bus.start()
    release.set()
    bus.stop(timeout=5)
    assert got == [b"1", b"2"]
    with pytest.raises(BusClosed, match="the bus was stopped"):
        bus.publish("t", b"4")
    with pytest.raises(TopicError, match="a topic has no wildcards"):
        InProcessBus().publish("mineguard/+/x", b"")


def test_ingest_worker_end_to_end(engine, session) -> None:
    bus = InProcessBus()
    worker = IngestWorker(bus, session_factory(engine), site_id=SITE, batch_size=25, max_delay_ms=20, clock=lambda: NOW)
    worker.start()
    bus.start()
    for seq in range(60):
        bus.publish(topic_for(SITE, "ch4-1101-t", "methane"), json.dumps(reading(seq)).encode())
    bus.publish(topic_for(SITE, "ch4-1101-t", "methane"), json.dumps(reading(3)).encode())  # a re-send
    bus.publish(topic_for(SITE, "ch4-1102-t", "methane"), json.dumps(reading(100)).encode())  # wrong topic
    bus.publish(topic_for(SITE, "co-belt", "co"), b"{not json")
    bus.publish(topic_for("another-mine", "ch4-1101-t", "methane"), json.dumps(reading(200)).encode())  # not ours
    assert bus.drain(timeout=10) and worker.flush(timeout=10)
    worker.stop()
    bus.stop()
    totals = worker.totals
    assert (totals.accepted, totals.duplicates, dict(totals.rejected)) == (
        60,
        1,
        {"invalid_schema": 1, "malformed_json": 1},
    )
    assert totals.batches >= 3  # at most 25 readings a batch
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(SensorReading)) == 60
        assert set(s.scalars(select(SensorReading.source))) == {"bus"}
        rejects = {r.reason: r for r in s.scalars(select(RejectedPayload))}
        assert "topic says device 'ch4-1102-t' kind 'methane'" in rejects["invalid_schema"].detail
        assert rejects["malformed_json"].payload == "{not json"


def test_ingest_worker_keeps_a_batch_while_the_database_is_down(sqlite_engine) -> None:
    sessions = session_factory(sqlite_engine)
    failures = [RuntimeError("database is down")]

    def flaky_sessions():
        if failures:
            raise failures.pop()
        return sessions()

    bus = InProcessBus()
    worker = IngestWorker(
        bus,
        flaky_sessions,
        site_id=SITE,
        batch_size=10,
        max_delay_ms=5,
        retry_s=0.01,
        clock=lambda: NOW,
        source="bus:test",
    )
    worker.start()
    bus.start()
    for seq in range(5):
        payload = reading(seq, device_id="dust-1101", kind="dust", value=2.0, unit="mg/m3")
        bus.publish(topic_for(SITE, "dust-1101", "dust"), json.dumps(payload).encode())
    assert bus.drain(timeout=5) and worker.flush(timeout=5)
    worker.stop()
    bus.stop()
    assert worker.totals.accepted == 5 and not failures
    with sessions() as s:
        stored = s.scalar(select(func.count()).where(SensorReading.source == "bus:test"))
        assert stored == 5


def test_ingest_worker_stores_a_partial_batch_after_max_delay_without_a_flush(sqlite_engine) -> None:
    sessions = session_factory(sqlite_engine)
    bus = InProcessBus()
    worker = IngestWorker(bus, sessions, site_id=SITE, batch_size=500, max_delay_ms=20, clock=lambda: NOW)
    worker.start()
    bus.start()
    for seq in range(3):
        bus.publish(topic_for(SITE, "ch4-1101-t", "methane"), json.dumps(reading(seq)).encode())
    deadline = time.monotonic() + 5
    while worker.totals.accepted < 3 and time.monotonic() < deadline:  # no flush(): the timer must fire
        time.sleep(0.01)
    worker.stop()
    bus.stop()
    assert worker.totals.accepted == 3
