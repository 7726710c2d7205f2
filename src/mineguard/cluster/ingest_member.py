"""One ingest partition inside a Ray actor: its sensors' MQTT topics to ``POST /api/v1/readings``.

The actor subscribes, with a persistent session under the partition's fixed client id, to
``mineguard/<site>/<device>/+`` for each sensor of its partition (per-sensor affinity: one
sensor's readings always go through one actor, in order, unlike a ``$share`` group). It posts
them in batches of up to ``batch_size`` as the gateway, and acknowledges each MQTT message only
after the service answered 200 for its batch (the service has committed it). When the service
cannot take a batch (unreachable, 5xx, 429) the same batch is sent again after a back-off; a
re-sent reading is stored once (``(device_id, seq)``). An actor that dies mid-batch leaves its
messages unacknowledged in the broker's session; Ray starts it again (on another node if its
node is gone), it reconnects with the same client id, and the broker delivers them again.

A message carries one reading or a batch of its device's readings (``ingest/schema.py``); a post
holds whole messages, at most the service's 1,000 readings. A payload that cannot be read as
readings (not JSON, a batch too large) goes alone as its own body, so that the service keeps it
among its rejects with the reason, as it does for any refused body; the others go on. A reading
whose device or kind differs from its topic's (which the service's own MQTT worker refuses) cannot
be told to the service over HTTP: the actor drops it with an ERROR log and counts it in ``rejected``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable

import httpx

from mineguard.cluster.engine import node_here
from mineguard.cluster.specs import IngestSpec, MemberStatus, ServiceAccess
from mineguard.services.ingest.bus import TopicError, parse_topic
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.services.ingest.schema import MAX_BATCH
from mineguard.services.ingest.validate import Rejection, message_readings

log = logging.getLogger(__name__)
# a message's readings as parsed (None: not readable as readings), its raw payload, acknowledge
Taken = tuple[list[object] | None, bytes, Callable[[], None]]


class IngestMember:
    def __init__(self, spec: IngestSpec, service: ServiceAccess, *, retry_s: tuple[float, float] = (0.2, 5.0)) -> None:
        self.spec, self.started_at, self.node, self.retry_s = spec, time.time(), node_here(), retry_s
        self._http = httpx.Client(
            base_url=service.url.rstrip("/"),
            headers={"X-Gateway-Id": service.gateway_id, "X-Gateway-Secret": service.secret},
            timeout=30.0,
        )
        self._taken: list[Taken] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.counts = {"sent": 0, "stored": 0, "duplicates": 0, "rejected": 0}
        self.error: str | None = None
        self._bus = MqttCommunicator(spec.broker_host, spec.broker_port, client_id=spec.client_id, mqtt5=False)
        for topic in spec.topics():
            self._bus.subscribe_acked(topic, self._take)
        self._thread = threading.Thread(target=self._forward, name=f"mineguard-{spec.name}", daemon=True)
        self._thread.start()
        self._bus.start(timeout=30)

    def _take(self, topic: str, payload: bytes, ack: Callable[[], None]) -> None:
        readings = _readings(payload)
        if readings is not None:
            kept: list[object] = []
            for reading in readings:
                if isinstance(reading, dict) and not _matches(topic, reading):
                    log.error("%s: %s carries device %r, kind %r: dropped", self.spec.name, topic, *_names(reading))
                else:
                    kept.append(reading)
            with self._cond:
                self.counts["rejected"] += len(readings) - len(kept)
            readings = kept
            if not readings:
                ack()
                return
        with self._cond:
            self._taken.append((readings, payload, ack))
            self._cond.notify()

    def _forward(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not self._taken:
                    self._cond.wait(0.2)
                    continue
            time.sleep(self.spec.max_delay_s)  # let a batch fill
            with self._cond:
                taken = size = 0
                while taken < min(len(self._taken), self.spec.batch_size):
                    readings = self._taken[taken][0]
                    size += len(readings) if readings is not None else 0
                    if taken and size > MAX_BATCH:  # whole messages, at most the service's batch
                        break
                    taken += 1
                batch, self._taken = self._taken[:taken], self._taken[taken:]
            good = [item for item in batch if item[0] is not None]
            if good:
                self._post(json.dumps({"readings": [r for item in good for r in item[0]]}).encode(), good)
            for item in batch:
                if item[0] is None:
                    self._post(item[1], [item])

    def _post(self, body: bytes, items: list[Taken]) -> None:
        """Until the service has answered for ``body`` (or the actor stops), then acknowledge ``items``."""
        delay = self.retry_s[0]
        while not self._stop.is_set():
            try:
                response = self._http.post(
                    "/api/v1/readings", content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as exc:
                self.error = f"cannot reach the service: {exc}"
            else:
                if response.status_code == 200:
                    report = response.json()
                    self._count(len(items), report)
                    break
                if response.status_code in (413, 422):  # not a batch, or too large: kept among its rejects
                    self.counts["rejected"] += len(items)
                    log.error("%s: the service refused a body: %s", self.spec.name, response.text[:300])
                    break
                self.error = f"the service answered {response.status_code}: {response.text[:200]}"
            log.warning("%s: %s — sending the batch again in %.1f s", self.spec.name, self.error, delay)
            self._stop.wait(delay)
            delay = min(2 * delay, self.retry_s[1])
        else:
            return  # stopping: not acknowledged, the broker delivers them again to the next incarnation
        self.error = None
        for _, _, ack in items:
            ack()

    def _count(self, n: int, report: dict) -> None:
        self.counts["sent"] += n
        self.counts["stored"] += int(report.get("accepted", 0))
        self.counts["duplicates"] += int(report.get("duplicates", 0))
        self.counts["rejected"] += int(report.get("rejected", 0))

    def status(self) -> MemberStatus:
        with self._cond:
            waiting = len(self._taken)
        return MemberStatus(
            name=self.spec.name,
            node=self.node,
            pid=os.getpid(),
            started_at=self.started_at,
            waiting=waiting,
            cpu_s=time.process_time(),
            error=self.error,
            **self.counts,
        )

    def stop(self) -> MemberStatus:
        """Send what was taken, then let go of the broker and the service."""
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            with self._cond:
                if not self._taken:
                    break
            time.sleep(0.05)
        self._bus.stop()  # what arrived since is not acknowledged: the broker keeps it for the next start
        self._stop.set()
        self._thread.join(15.0)
        self._http.close()
        return self.status()


def _readings(payload: bytes) -> list[object] | None:
    """The readings of a message (one, or a batch), parsed; None when it cannot be read as readings."""
    batch = message_readings(payload, validated=False)  # forwarded as JSON: the service checks each reading
    if batch is None:
        try:
            return [json.loads(payload)]
        except (ValueError, RecursionError):
            return None
    return None if isinstance(batch, Rejection) else list(batch)


def _names(reading: dict) -> tuple[object, object]:
    return reading.get("device_id"), reading.get("kind")


def _matches(topic: str, reading: dict) -> bool:
    """The reading's device and kind are its topic's (``mineguard/<site>/<device>/<kind>``)."""
    try:
        parts = parse_topic(topic)
    except TopicError:
        return False
    return (parts.device_id, parts.kind) == _names(reading)
