"""Where the simulated sensors' readings go: the in-process bus, an MQTT broker, or the HTTP API.

All three send the wire contract of ``mineguard.services.ingest.schema`` (one JSON reading per
message, stamped with the wall clock); equipment state is just the readings of the machines'
``running``, vibration and bearing sensors. Nothing else is sent: no signal reaches the rules but
through what the service itself ingests.

- :class:`BusPublisher`: a bus object handed in by the caller (embedded mode: ``app.state.ctx.bus``
  of a service in the same process), topic ``mineguard/<site>/<device>/<kind>`` (``topic_for``);
- :class:`MqttPublisher`: its own MQTT client (paho, QoS 1) to a broker, same topics;
- :class:`HttpPublisher`: ``POST /api/v1/readings``, one batch per simulated second.
"""

from __future__ import annotations

import json
from typing import Protocol

from mineguard.services.ingest.bus import Communicator, topic_for
from mineguard.services.ingest.mqtt import MqttCommunicator, MqttError
from mineguard.sim.client import ServiceClient, ServiceError
from mineguard.sim.sensors import SimReading


class Publisher(Protocol):
    published: int
    duplicates: int | None  # resends the service counted as already stored; None: this transport does not say

    def publish(self, site_id: str, readings: list[SimReading], t_iso: str) -> None: ...

    def flush(self, timeout_s: float = 10.0) -> bool: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class BusPublisher:
    """Publishes on a :class:`~mineguard.services.ingest.bus.Communicator` (not started or stopped here)."""

    def __init__(self, bus: Communicator) -> None:
        self.bus = bus
        self.published = 0
        self.duplicates: int | None = None

    def publish(self, site_id: str, readings: list[SimReading], t_iso: str) -> None:
        for reading in readings:
            topic = topic_for(site_id, reading.device_id, reading.kind)
            self.bus.publish(topic, json.dumps(reading.payload(t_iso)).encode())
            self.published += 1

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until the bus has handed everything on (when it can say so)."""
        drain = getattr(self.bus, "drain", None)
        return bool(drain(timeout_s)) if drain is not None else True

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return "in-process bus"


class MqttPublisher(BusPublisher):
    """Its own MQTT connection (QoS 1, a fresh client id) to ``host:port``; ``close`` disconnects."""

    def __init__(self, host: str, port: int, *, timeout_s: float = 10.0) -> None:
        communicator = MqttCommunicator(host, port, qos=1)
        try:
            communicator.start(timeout=timeout_s)
        except MqttError as exc:
            raise ServiceError(str(exc)) from None
        super().__init__(communicator)
        self.address = f"{host}:{port}"

    def flush(self, timeout_s: float = 10.0) -> bool:
        """True once the broker has acknowledged (PUBACK) every reading published."""
        return self.bus.wait_published(timeout_s)

    def close(self) -> None:
        self.bus.stop()

    def describe(self) -> str:
        return f"MQTT broker {self.address}"


class HttpPublisher:
    """``POST /api/v1/readings`` through the client, one batch per call of :meth:`publish`."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client
        self.published = 0
        self.duplicates: int | None = 0

    def publish(self, site_id: str, readings: list[SimReading], t_iso: str) -> None:
        if not readings:
            return
        report = self.client.post_readings([reading.payload(t_iso) for reading in readings])
        self.published += len(readings)
        self.duplicates = (self.duplicates or 0) + int(report.get("duplicates", 0))

    def flush(self, timeout_s: float = 10.0) -> bool:
        return True  # each batch is stored before the call returns

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return f"HTTP {self.client.base_url}/api/v1/readings"
