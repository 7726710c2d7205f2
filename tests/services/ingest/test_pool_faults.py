"""Nothing lost, nothing doubled, with several ingest processes on real Mosquitto and real PostgreSQL.

Three worker processes split the stream by device (``IngestPool``, each owning some of the sensors
through plain persistent subscriptions); a gateway streams readings of five of the sample site's
sensors at QoS 1. Mid-stream, one of: a worker is killed with SIGKILL (the
pool starts it again; the broker redelivers what it had not acknowledged), or the database refuses
connections for a few seconds (the cluster stopped and started again). After each, every sent
reading is stored exactly once and nothing is rejected; the counts are printed. The broker restart
loses nothing by device; in a ``$share`` group it is held to what the pool guarantees over it
(``ingest/pool.py``: Mosquitto forgets ``$share`` subscriptions, so what is published before the
processes subscribe again may be dropped).
The stream is small here (``N``); ``benchmarks/bench_ingest_faults.py`` runs the same with 100k.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, func, select

from local_broker import BrokerUnavailable, LocalBroker, local_broker
from local_postgres import LocalCluster, PostgresUnavailable, create_database, local_cluster
from mineguard.services.bootstrap import bootstrap
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.services.ingest.pool import IngestPool, PoolConfig
from mineguard.services.settings import Settings
from mineguard.services.storage.models import RejectedPayload, SensorReading
from mineguard.warning.sensing.live import LiveCleanser

SITE, N, WORKERS = "sample-coal-mine", 6000, 3
SENSORS = {
    "ch4-1101-t": ("methane", "%", 0.3),
    "co-belt": ("co", "ppm", 3.0),
    "o2-main": ("o2", "%", 20.8),
    "temp-1101": ("temperature", "degC", 24.0),
    "dust-1101": ("dust", "mg/m3", 1.5),
}
DEVICES = tuple(SENSORS)  # by CRC-32 modulo 3: dust-1101 to process 0, o2-main to 1, the other three to 2
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    try:
        with local_cluster() as started:
            yield started
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    try:
        with local_broker() as started:
            yield started
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def database(cluster: LocalCluster) -> Iterator[tuple[str, Engine]]:
    url = create_database(cluster.url, f"f_{uuid.uuid4().hex[:10]}")
    booted = bootstrap(Settings(database_url=url, admin_password="fault-password"))
    booted.engine.dispose()
    engine = create_engine(url)
    yield url, engine
    engine.dispose()


def _counts(engine: Engine) -> tuple[int, int, int]:
    """(rows, distinct (device, seq), rejects)."""
    r = SensorReading
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(r))
        distinct = connection.scalar(select(func.count()).select_from(select(r.device_id, r.seq).distinct().subquery()))
        rejects = connection.scalar(select(func.count()).select_from(RejectedPayload))
    return rows, distinct, rejects


def _stored(engine: Engine) -> int:
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(SensorReading))
    except Exception:  # the database is away during the fault
        return -1


def _payload(i: int, start: datetime) -> tuple[str, bytes]:
    """Reading ``i`` of the stream: the sensors in turn, each one's seq counting up, 200 ms apart."""
    devices = list(SENSORS)
    device = devices[i % len(devices)]
    kind, unit, value = SENSORS[device]
    seq = i // len(devices)
    t = start + timedelta(milliseconds=200 * seq)
    payload = {"device_id": device, "kind": kind, "seq": seq, "t": t.isoformat(), "value": value, "unit": unit}
    return topic_for(SITE, device, kind), json.dumps(payload).encode()


def _messages(start: datetime, per_message: int) -> list[tuple[str, bytes]]:
    """The stream's N readings, ``per_message`` consecutive readings of one sensor a message (a JSON array)."""
    if per_message == 1:
        return [_payload(i, start) for i in range(N)]
    block, out = len(SENSORS) * per_message, []
    for first in range(0, N, block):
        for device in SENSORS:
            group = [_payload(i, start) for i in range(first, min(first + block, N)) if _key(i)[0] == device]
            if group:
                out.append((group[0][0], b"[" + b",".join(payload for _, payload in group) + b"]"))
    return out


def _key(i: int) -> tuple[str, int]:
    devices = list(SENSORS)
    return devices[i % len(devices)], i // len(devices)


def _stored_keys(engine: Engine) -> set[tuple[str, int]]:
    with engine.connect() as connection:
        return {(device, seq) for device, seq in connection.execute(select(SensorReading.device_id, SensorReading.seq))}


def _config(url: str, broker: LocalBroker, partition: str = "device") -> PoolConfig:
    client = f"fault-{uuid.uuid4().hex[:6]}"
    return PoolConfig(url, broker.host, broker.port, None, None, SITE, client, partition=partition, devices=DEVICES)


def _run_with_fault(
    url: str, engine: Engine, broker: LocalBroker, fault: Callable[[IngestPool], None], per_message: int = 1
) -> IngestPool:
    config = _config(url, broker)
    pool = IngestPool(config, workers=WORKERS, cleanser=LiveCleanser)
    gateway = MqttCommunicator(broker.host, broker.port, client_id=f"gw-{uuid.uuid4().hex[:6]}", max_inflight=200)
    pool.start()
    try:
        assert pool.wait_ready(120), "the worker processes did not join the shared subscription"
        gateway.start()
        start = datetime.now(UTC) - timedelta(minutes=30)

        def publish_all() -> None:
            for i, message in enumerate(_messages(start, per_message)):
                gateway.publish(*message)
                if i % max(1, 20 // per_message) == 0:
                    time.sleep(0.002)  # a few seconds of stream, so the fault lands in the middle

        publisher = threading.Thread(target=publish_all)
        publisher.start()
        deadline = time.monotonic() + 60
        while _stored(engine) < N // 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        at_fault = _stored(engine)
        fault(pool)
        publisher.join(120)
        assert gateway.wait_published(120), "the broker did not take every reading"
        deadline = time.monotonic() + 120
        while _stored(engine) < N and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a late duplicate would show now
        rows, distinct, rejects = _counts(engine)
        print(
            f"\nsent {N}; stored {rows} rows, {distinct} distinct (device, seq); rejected {rejects}; "
            f"{at_fault} stored when the fault came; redeliveries seen as duplicates {pool.totals.duplicates}; "
            f"worker restarts {pool.restarts}"
        )
        assert 0 < at_fault < N, at_fault
        assert (rows, distinct, rejects) == (N, N, 0)
    finally:
        gateway.stop()
        pool.stop()
    return pool


def test_a_worker_killed_mid_stream(database, broker: LocalBroker) -> None:
    def kill_one(pool: IngestPool) -> None:
        os.kill(pool.pids[1], signal.SIGKILL)

    pool = _run_with_fault(*database, broker, kill_one)
    assert pool.restarts >= 1


def test_a_worker_killed_mid_stream_of_batch_messages(database, broker: LocalBroker) -> None:
    """Gateways sending 10 readings a message: a message is acknowledged after the commit of all its readings,
    so a killed worker's unacknowledged messages come back whole and every reading is stored once."""
    pool = _run_with_fault(*database, broker, lambda pool: os.kill(pool.pids[1], signal.SIGKILL), per_message=10)
    assert pool.restarts >= 1


@pytest.mark.parametrize("partition", ["device", "share"])
def test_the_broker_restarted_mid_stream(
    database, broker: LocalBroker, capfd: pytest.CaptureFixture, partition: str
) -> None:
    """Nothing the broker had accepted before it stopped is lost, nothing is stored twice, every process
    subscribes again, and every reading published after that is stored. By device, the broker keeps the
    processes' plain subscriptions over its restart: nothing at all is lost. In a ``$share`` group each
    process says in a WARNING that it subscribed again, and what the gateway sends while the processes are
    not yet back may be dropped by Mosquitto: counted, not asserted."""
    url, engine = database
    config = _config(url, broker, partition)
    pool = IngestPool(config, workers=WORKERS, cleanser=LiveCleanser)
    gateway = MqttCommunicator(broker.host, broker.port, client_id=f"gw-{uuid.uuid4().hex[:6]}", max_inflight=200)
    cut, after = N // 3, N // 5  # the restart comes after reading `cut`; `after` more once all are back
    pool.start()
    try:
        assert pool.wait_ready(120), "the worker processes did not join the shared subscription"
        gateway.start()
        start = datetime.now(UTC) - timedelta(minutes=30)
        for i in range(cut):
            gateway.publish(*_payload(i, start))
        assert gateway.wait_published(60), "the broker did not take the readings before the restart"
        at_fault = _stored(engine)
        restarted = time.time()
        broker.restart()
        for i in range(cut, N):  # the gateway goes on through the restart: paho queues and resends
            gateway.publish(*_payload(i, start))
            if i % 20 == 0:
                time.sleep(0.002)
        assert gateway.wait_published(120), "the broker did not take every reading after the restart"
        assert pool.wait_ready(60, since=restarted), "a worker process did not subscribe again after the restart"
        for i in range(N, N + after):
            gateway.publish(*_payload(i, start))
        assert gateway.wait_published(60)
        deadline = time.monotonic() + 120
        while not _stored_keys(engine) >= {_key(i) for i in range(N, N + after)} and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a late duplicate would show now
        stored, (rows, distinct, rejects) = _stored_keys(engine), _counts(engine)
        sent = {_key(i) for i in range(N + after)}
        lost = sent - stored
        warned = capfd.readouterr().err.count("forgot the $share subscription")  # the processes' stderr
        print(
            f"\nsent {N + after}; stored {rows} rows, {distinct} distinct; rejected {rejects}; {at_fault} stored at "
            f"the restart; dropped while the processes were away {len(lost)}; redeliveries {pool.totals.duplicates}"
        )
        assert (rows, rejects) == (distinct, 0) and stored <= sent  # nothing doubled, nothing foreign, no reject
        assert {_key(i) for i in range(cut)} <= stored, "a reading the broker had accepted before it stopped is lost"
        assert {_key(i) for i in range(N, N + after)} <= stored, "a reading sent after the processes were back is lost"
        if partition == "device":
            assert not lost, f"{len(lost)} readings lost over the broker restart"
        else:
            assert warned >= WORKERS, f"{warned} reconnect warnings from {WORKERS} processes"
    finally:
        gateway.stop()
        pool.stop()


def test_the_database_refusing_connections_mid_stream(database, broker: LocalBroker, cluster: LocalCluster) -> None:
    def outage(pool: IngestPool) -> None:
        cluster.stop()
        time.sleep(3)
        assert pool.status().consecutive_failures > 0 or pool.status().waiting > 0
        cluster.start()

    _run_with_fault(*database, broker, outage)
