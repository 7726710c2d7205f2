"""The MQTT transport against a real Mosquitto broker on loopback: delivery, wildcards, the ingest
worker end to end, a broker restart, and a consumer that dies before acknowledging."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from local_broker import BrokerUnavailable, LocalBroker, local_broker
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.mqtt import MqttCommunicator, MqttError
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import RejectedPayload, SensorReading
from polling import wait_for
from service_inputs import POISON

from .conftest import NOW, reading

SITE = "sample-coal-mine"


@pytest.fixture(scope="module")
def broker() -> Iterator[LocalBroker]:
    try:
        with local_broker() as running:
            yield running
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))


def _payload(seq: int) -> bytes:
    return json.dumps(reading(seq=seq)).encode()


def test_publish_subscribe_with_wildcards(broker: LocalBroker) -> None:
    consumer, producer = MqttCommunicator(broker.host, broker.port), MqttCommunicator(broker.host, broker.port)
    got: list[tuple[str, bytes]] = []
    consumer.subscribe(f"mineguard/{SITE}/+/methane", lambda topic, payload: got.append((topic, payload)))
    consumer.start()
    producer.start()
    try:
        producer.publish(topic_for(SITE, "ch4-1101-t", "methane"), b"1")
        producer.publish(topic_for(SITE, "co-belt", "co"), b"2")  # not matched
        producer.publish(topic_for(SITE, "ch4-return", "methane"), b"3")
        assert producer.wait_published(5)
        assert wait_for(lambda: len(got) == 2, 5)
        assert [p for _, p in got] == [b"1", b"3"]
    finally:
        consumer.stop()
        producer.stop()


def test_no_broker_is_a_clear_error() -> None:
    with pytest.raises(MqttError, match="no MQTT broker answered"):
        MqttCommunicator("127.0.0.1", 1).start(timeout=1)


def test_worker_ingests_over_mqtt_and_survives_a_broker_restart(broker: LocalBroker, engine, session) -> None:
    sessions = session_factory(engine)
    consumer = MqttCommunicator(broker.host, broker.port, client_id="mineguard-ingest-test-1")
    worker = IngestWorker(
        consumer, sessions, site_id=SITE, batch_size=50, max_delay_ms=20, source="mqtt", clock=lambda: NOW
    )
    producer = MqttCommunicator(broker.host, broker.port, client_id="gateway-test-1")
    worker.start()
    consumer.start()
    producer.start()
    topic = topic_for(SITE, "ch4-1101-t", "methane")

    def stored() -> int:
        with sessions() as s:
            return s.scalar(select(func.count()).select_from(SensorReading))

    try:
        for seq in range(100):
            producer.publish(topic, _payload(seq))
        assert producer.wait_published(10)
        assert wait_for(lambda: stored() == 100), stored()
        broker.restart()  # both clients lose their connection and reconnect on their own
        assert wait_for(lambda: consumer.connected and producer.connected, 20)
        for seq in range(100, 200):
            producer.publish(topic, _payload(seq))
        assert producer.wait_published(10)
        assert wait_for(lambda: stored() == 200), stored()
        assert consumer.connects >= 2
    finally:
        producer.stop()
        worker.stop()
        consumer.stop()


def test_unacknowledged_messages_come_back_after_a_crash(broker: LocalBroker, engine, session) -> None:
    """A consumer that dies before its commit loses nothing: the broker redelivers, stored once."""
    sessions = session_factory(engine)
    topic = topic_for(SITE, "ch4-1101-t", "methane")
    received = threading.Event()
    crashed = MqttCommunicator(broker.host, broker.port, client_id="mineguard-ingest-crash")
    crashed.subscribe_acked(f"mineguard/{SITE}/+/+", lambda *_: received.set())  # never acks
    crashed.start()
    producer = MqttCommunicator(broker.host, broker.port)
    producer.start()
    for seq in range(30):
        producer.publish(topic, _payload(seq))
    assert producer.wait_published(10) and received.wait(10)
    crashed._client._sock_close()  # the process dies: no DISCONNECT, no PUBACKs
    crashed._client.loop_stop()
    producer.stop()

    revived = MqttCommunicator(broker.host, broker.port, client_id="mineguard-ingest-crash")
    worker = IngestWorker(
        revived, sessions, site_id=SITE, batch_size=10, max_delay_ms=20, source="mqtt", clock=lambda: NOW
    )
    worker.start()
    revived.start()
    try:
        with sessions() as s:
            assert wait_for(lambda: s.scalar(select(func.count()).select_from(SensorReading)) == 30)
        time.sleep(0.5)  # redeliveries of anything acknowledged late must not add rows
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(SensorReading)) == 30
            assert sorted(s.scalars(select(SensorReading.seq))) == list(range(30))
    finally:
        worker.stop()
        revived.stop()


@contextmanager
def _mqtt_worker(broker: LocalBroker, engine, name: str, batch_size: int) -> Iterator[tuple[IngestWorker, Any]]:
    """An ingest worker on its own MQTT session and a gateway's producer, both on ``broker``."""
    consumer = MqttCommunicator(broker.host, broker.port, client_id=f"mineguard-ingest-{name}")
    worker = IngestWorker(
        consumer, session_factory(engine), site_id=SITE, batch_size=batch_size, source="mqtt", clock=lambda: NOW
    )
    producer = MqttCommunicator(broker.host, broker.port, client_id=f"gateway-{name}")
    worker.start()
    consumer.start()
    producer.start()
    try:
        yield worker, producer
    finally:
        producer.stop()
        worker.stop()
        consumer.stop()


def _stored(worker: IngestWorker) -> tuple[int, list[RejectedPayload]]:
    with worker.sessions() as s:
        return s.scalar(select(func.count()).select_from(SensorReading)), list(s.scalars(select(RejectedPayload)))


def test_a_poison_reading_over_mqtt_blocks_nothing(broker: LocalBroker, engine, session) -> None:
    """Issue 13: a reading whose time cannot be converted to UTC, published (QoS 1) between good
    ones, is refused alone with its reason and payload kept; every good reading is stored."""
    topic = topic_for(SITE, "ch4-1101-t", "methane")
    with _mqtt_worker(broker, engine, "poison", 50) as (worker, producer):
        for seq in range(100):
            producer.publish(topic, _payload(seq))
        producer.publish(topic_for(SITE, "co-belt", "co"), json.dumps(POISON).encode())
        for seq in range(100, 200):
            producer.publish(topic, _payload(seq))
        assert producer.wait_published(10)
        assert wait_for(lambda: _stored(worker)[0] == 200 and len(_stored(worker)[1]) == 1), _stored(worker)[0]
        (reject,) = _stored(worker)[1]
        got = (reject.reason, reject.device_id, reject.seq, json.loads(reject.payload))
        assert got == ("invalid_schema", "co-belt", 3000100, POISON)
        assert wait_for(lambda: worker.status().waiting == 0)  # the last batch is committed before it leaves in-flight


def test_a_devices_backlog_in_one_message_over_mqtt_is_stored_once_and_its_bad_reading_alone_refused(
    broker: LocalBroker, engine, session
) -> None:
    """A device back from a lost link sends its backlog as batch messages (QoS 1); one is re-sent
    (an at-least-once redelivery): every reading is stored exactly once, the bad one refused alone."""
    topic = topic_for(SITE, "ch4-1101-t", "methane")
    backlog = [reading(seq) for seq in range(1000)]
    backlog[500] = {**backlog[500], "t": "2026-13-01T00:00:00Z"}
    with _mqtt_worker(broker, engine, "backlog", 250) as (worker, producer):
        chunks = [json.dumps(backlog[i : i + 100]).encode() for i in range(0, 1000, 100)]
        for chunk in [*chunks, chunks[3]]:
            producer.publish(topic, chunk)
        assert producer.wait_published(10)
        assert wait_for(lambda: _stored(worker)[0] == 999 and len(_stored(worker)[1]) == 1), _stored(worker)
        assert [(r.reason, r.seq) for r in _stored(worker)[1]] == [("invalid_schema", 500)]
        assert worker.totals.duplicates == 100 and wait_for(lambda: worker.status().waiting == 0)


def test_a_batch_is_acknowledged_in_one_write_and_handlers_are_matched_once_per_topic() -> None:
    bus = MqttCommunicator("127.0.0.1", 1)  # never started: the callbacks are driven by hand
    acks, calls = [], []
    bus.subscribe_acked(f"mineguard/{SITE}/+/+", lambda topic, payload, ack: (calls.append(topic), acks.append(ack)))
    client = bus._client
    for mid, device in ((5, "a"), (6, "b"), (7, "a")):
        message = mqtt.MQTTMessage(mid=mid, topic=topic_for(SITE, device, "methane").encode())
        message.qos = 1
        bus._on_message(client, None, message)
    assert len(calls) == 3 and sorted(bus._handlers_for) == [topic_for(SITE, d, "methane") for d in "ab"]
    bus.ack_all(acks)
    [packet] = client._out_packet  # the three PUBACKs as one write
    assert packet["packet"] == b"\x40\x02\x00\x05\x40\x02\x00\x06\x40\x02\x00\x07"
    bus.subscribe_acked("mineguard/#", lambda *_: None)
    assert bus._handlers_for == {}  # a new subscription: matched afresh
