"""In-process fan-out of twin state changes to live subscribers (the API's WebSocket stream).

Publishing is thread-safe: route handlers run in worker threads and hand each event to the
subscriber's event loop. A slow subscriber loses its oldest events rather than blocking the
service (the queue is bounded), and is told how many it missed.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mineguard.mine.roles import Permission, Role, can
from mineguard.services.storage.types import utc_now
from mineguard.warning.sensing.checks import flag_names


@dataclass(frozen=True)
class TwinEvent:
    """A state change. Person events carry ``asset_id``/``crew`` so each role sees only its scope."""

    type: str
    data: dict[str, Any]
    t: datetime = field(default_factory=utc_now)
    asset_id: str | None = None
    crew: str | None = None
    permission: Permission = Permission.VIEW_MAP

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["t"] = self.t.isoformat()
        body.pop("permission")
        return body


def reading_event(device_id: str, state: dict[str, Any]) -> TwinEvent:
    """``device.reading``: a device's new live state (its newest reading: ``value``, ``unit``, ``t``, ``seq``),
    for the roles that may read devices, whichever way the reading came (HTTP or the bus / MQTT); its
    cleansing flags by name (``[]`` when clean), as ``GET /api/v1/readings`` shows them."""
    data = {"device_id": device_id, **state, "flags": flag_names(state.get("flags", 0))}
    return TwinEvent("device.reading", data, permission=Permission.VIEW_CREW)


def publish_readings(hub: EventHub, live: dict[str, dict[str, Any]]) -> None:
    """A ``device.reading`` per device of ``live`` (device id -> new live state, ``IngestReport.live``)."""
    for device_id, state in live.items():
        hub.publish(reading_event(device_id, state))


@dataclass(frozen=True)
class Viewer:
    role: Role
    crew: str | None = None
    asset_id: str | None = None

    def sees(self, event: TwinEvent) -> bool:
        if not can(self.role, event.permission):
            return False
        if event.asset_id is None or can(self.role, Permission.VIEW_ALL_STAFF):
            return True
        if event.asset_id == self.asset_id:
            return True
        return can(self.role, Permission.VIEW_CREW) and event.crew is not None and event.crew == self.crew


class _Subscriber:
    def __init__(self, viewer: Viewer, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self.viewer, self.loop = viewer, loop
        self.queue: asyncio.Queue[TwinEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, event: TwinEvent) -> None:  # runs on self.loop
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)


class EventHub:
    def __init__(self, maxsize: int = 1000) -> None:
        self._subscribers: set[_Subscriber] = set()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def subscribe(self, viewer: Viewer) -> _Subscriber:
        subscriber = _Subscriber(viewer, asyncio.get_running_loop(), self._maxsize)
        with self._lock:
            self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: _Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def publish(self, event: TwinEvent) -> None:
        with self._lock:
            targets = [s for s in self._subscribers if s.viewer.sees(event)]
        for subscriber in targets:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.offer, event)
            except RuntimeError:  # loop closed: the client went away
                self.unsubscribe(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
