"""Each publisher delivers readings that the service stores: checked through the API, not the database."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from mineguard.sim.publish import BusPublisher, HttpPublisher, MqttPublisher
from mineguard.sim.sensors import SimReading


def _readings(seq0: int) -> list[SimReading]:
    return [
        SimReading("ch4-1101-t", "methane", seq0, 0.42, "%"),
        SimReading("fan-f2-run", "running", seq0, 0.0, "state"),
        SimReading("roof-1101", "roof_pressure", seq0, 24.5, "MPa"),
    ]


def _stored(client, device_id: str, timeout_s: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        rows = client.get("/readings", device_id=device_id)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _check_delivered(service, publisher, stamp: str | None = None) -> None:
    with service.client() as client:
        publisher.publish("sample-coal-mine", _readings(7), stamp or datetime.now(UTC).isoformat())
        assert publisher.flush(10.0) and publisher.published == 3
        methane, roof = _stored(client, "ch4-1101-t"), _stored(client, "roof-1101")
        assert [(r["seq"], r["value"], r["unit"]) for r in methane] == [(7, 0.42, "%")]
        assert [(r["seq"], r["value"]) for r in roof] == [(7, 24.5)]


def test_bus_publisher_delivers_to_the_service_in_the_same_process(service) -> None:
    _check_delivered(service, BusPublisher(service.app.state.ctx.bus))


def test_http_publisher_posts_batches(service) -> None:
    with service.client() as client:
        publisher, stamp = HttpPublisher(client), datetime.now(UTC).isoformat()
        _check_delivered(service, publisher, stamp)
        publisher.publish("sample-coal-mine", _readings(7)[:1], stamp)  # the same reading again
        assert publisher.duplicates == 1 and "api/v1/readings" in publisher.describe()


def test_mqtt_publisher_delivers_through_a_broker(mqtt_service, broker) -> None:
    publisher = MqttPublisher(broker.host, broker.port)
    try:
        _check_delivered(mqtt_service, publisher)
        assert publisher.describe() == f"MQTT broker {broker.host}:{broker.port}"
    finally:
        publisher.close()


def test_an_absent_broker_is_a_clear_error() -> None:
    from mineguard.sim.client import ServiceError

    with pytest.raises(ServiceError, match=r"no MQTT broker answered at 127.0.0.1:9"):
        MqttPublisher("127.0.0.1", 9, timeout_s=1.0)
