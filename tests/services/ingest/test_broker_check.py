"""The broker settings behind "an MQTT stream loses nothing", against real Mosquitto brokers.

A stock-like broker (``max_queued_messages 100``; stock Mosquitto keeps 1,000) drops what it queued
for a stopped service: the start-up check warns (``strict`` refuses to start) and a stream sent
while the service is down is cut to the queue limit. The shipped ``mosquitto.conf`` (which
:class:`LocalBroker` runs) passes the check and keeps three times that queue limit and more.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from local_broker import BrokerUnavailable, LocalBroker, local_broker
from mineguard.services.ingest.broker_check import SHIPPED_CONFIG, BrokerCheckFailed, probe_broker
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.settings import Settings
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import SensorReading

from .conftest import NOW, reading

SITE = "sample-coal-mine"
STOCK_LIKE = {"max_queued_messages": "100"}  # stock Mosquitto: 1000; 100 keeps the test fast


def _broker(settings: dict[str, str] | None) -> Iterator[LocalBroker]:
    try:
        with local_broker(settings) as running:
            yield running
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def shipped() -> Iterator[LocalBroker]:
    yield from _broker(None)


@pytest.fixture(scope="module")
def stock_like() -> Iterator[LocalBroker]:
    yield from _broker(STOCK_LIKE)


def test_the_test_broker_runs_the_shipped_config(shipped: LocalBroker) -> None:
    config = shipped.config.read_text()
    for line in (
        "persistence true",
        "max_queued_messages 0",
        "queue_qos0_messages false",
        "autosave_interval 1",
        "persistent_client_expiration 30d",
    ):
        assert line in config.splitlines() and line in SHIPPED_CONFIG.read_text().splitlines()
    assert f"listener {shipped.port} 127.0.0.1" in config
    assert "listener 1883 127.0.0.1" in SHIPPED_CONFIG.read_text()  # loopback by default


def test_probe_tells_a_broker_that_drops_queued_messages(shipped: LocalBroker, stock_like: LocalBroker) -> None:
    good = probe_broker(shipped.host, shipped.port, messages=300, timeout_s=10)
    assert (good.status, good.sent, good.received, good.session_present, good.problems) == ("ok", 301, 301, True, ())
    bad = probe_broker(stock_like.host, stock_like.port, messages=300, timeout_s=10)
    assert (bad.status, bad.sent, bad.received, bad.session_present) == ("warning", 301, 100, True)
    assert "max_queued_messages" in bad.problems[0] and str(SHIPPED_CONFIG) in bad.problems[0]
    assert bad.seconds < 10
    nowhere = probe_broker("127.0.0.1", 1, timeout_s=1)
    assert nowhere.status == "unknown" and "cannot connect" in nowhere.problems[0]


def _settings(tmp_path: Path, broker: LocalBroker, mode: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'mineguard.db'}",
        admin_password="admin-password",
        mqtt_url=f"mqtt://{broker.host}:{broker.port}",
        mqtt_client_id=f"mg-check-{mode}",
        mqtt_check=mode,
        mqtt_check_messages=300,
        mqtt_check_timeout_s=10,
    )


def _health_after_check(client: TestClient) -> dict:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        body = client.get("/api/v1/health").json()
        if body["mqtt"]["status"] != "pending":
            return body
        time.sleep(0.05)
    pytest.fail("the broker check did not finish")


def test_service_warns_at_start_on_a_stock_like_broker(
    stock_like: LocalBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mineguard.services.api.main import create_app

    caplog.set_level(logging.WARNING, logger="mineguard.services.ingest.broker_check")
    app = create_app(_settings(tmp_path, stock_like, "warn"))
    with TestClient(app) as client:  # warn never blocks start
        body = _health_after_check(client)
    app.state.ctx.engine.dispose()
    assert body["status"] == "ok"
    assert body["mqtt"] | {"problems": None, "seconds": None} == {
        "transport": "mqtt",
        "check": "warn",
        "status": "warning",
        "sent": 301,
        "received": 100,
        "session_present": True,
        "problems": None,
        "seconds": None,
        "config": str(SHIPPED_CONFIG),
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("max_queued_messages 0" in m and str(SHIPPED_CONFIG) in m for m in warnings), warnings


def test_strict_check_refuses_to_start_on_a_stock_like_broker(stock_like: LocalBroker, tmp_path: Path) -> None:
    from mineguard.services.api.main import create_app

    app = create_app(_settings(tmp_path, stock_like, "strict"))
    with pytest.raises(BrokerCheckFailed, match=r"kept only 100 of 301.*max_queued_messages 0"), TestClient(app):
        pass
    app.state.ctx.engine.dispose()


def test_shipped_config_passes_the_strict_check_without_a_warning(
    shipped: LocalBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mineguard.services.api.main import create_app

    caplog.set_level(logging.INFO, logger="mineguard.services.ingest.broker_check")
    app = create_app(_settings(tmp_path, shipped, "strict"))
    with TestClient(app) as client:
        body = client.get("/api/v1/health").json()
    app.state.ctx.engine.dispose()
    assert (body["mqtt"]["status"], body["mqtt"]["received"], body["mqtt"]["problems"]) == ("ok", 301, [])
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "broker_check" in r.name]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("broker_settings", "down"), [(None, 3000), (STOCK_LIKE, 300)], ids=["shipped", "stock-like"])
def test_readings_sent_while_the_service_is_stopped(broker_settings, down: int, engine, session) -> None:
    """Stop the service mid-stream, send 3x the queue limit of a stock broker, start it again: shipped keeps all.

    The stock-like case shows what the test catches: that broker keeps at most its 100 of the 300
    and drops the rest (and, while it catches up with a full queue, some of the live stream too).
    """
    sessions = session_factory(engine)
    topic = topic_for(SITE, "ch4-1101-t", "methane")

    def stored() -> int:
        with sessions() as s:
            return s.scalar(select(func.count()).select_from(SensorReading))

    def publish(producer: MqttCommunicator, seqs: range) -> None:
        for seq in seqs:
            producer.publish(topic, json.dumps(reading(seq)).encode())
        assert producer.wait_published(10)

    def run_service(broker: LocalBroker, producer: MqttCommunicator, seqs: range, total: int) -> None:
        consumer = MqttCommunicator(broker.host, broker.port, client_id="mineguard-ingest-check")
        worker = IngestWorker(
            consumer, sessions, site_id=SITE, batch_size=200, max_delay_ms=20, source="mqtt", clock=lambda: NOW
        )
        worker.start()
        consumer.start()
        publish(producer, seqs)
        deadline, last, since = time.monotonic() + 20, -1, time.monotonic()
        while (count := stored()) < total and time.monotonic() < deadline and time.monotonic() - since < 1.5:
            if count != last:
                last, since = count, time.monotonic()
            time.sleep(0.05)
        consumer.stop()  # the service stops; its persistent session stays on the broker
        worker.stop()

    try:
        context = local_broker(broker_settings)
        broker = context.__enter__()
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))
    producer = MqttCommunicator(broker.host, broker.port, client_id="gateway-check")
    producer.start()
    try:
        run_service(broker, producer, range(0), 0)  # the first start: the broker now holds our session
        run_service(broker, producer, range(50), 50)
        assert stored() == 50
        publish(producer, range(50, 50 + down))  # while the service is down
        run_service(broker, producer, range(50 + down, 100 + down), 100 + down)  # started again; the stream goes on
        if broker_settings is None:
            assert stored() == 100 + down  # nothing lost
        else:
            assert stored() <= 100 + 100  # at least 200 of the 300 lost
    finally:
        producer.stop()
        context.__exit__(None, None, None)
