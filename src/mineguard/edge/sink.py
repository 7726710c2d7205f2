"""Vision events and camera health to a running MineGuard service, as a camera box would send them.

:class:`ServiceSink` talks to the real API with a gateway's credentials (``X-Gateway-Id`` and
``X-Gateway-Secret``, registered by a manager): each raised event's snapshot and clip go first to
``POST /api/v1/evidence``, whose content hashes the event then names in
``attributes.evidence``; the events go to ``POST /api/v1/events``. A manager's bearer token
(:func:`login_token`) does instead of gateway credentials: the demo's camera box uses it. Camera health becomes the
event ``system.camera_down`` (true while the camera is reconnecting, stalled or given up, false
once it streams again), so a site rule turns it into a camera-health alert like sensor health.

When the service cannot be reached (or answers 5xx), the events wait in a bounded queue and go
with the next send; the oldest are dropped, counted and logged only when more than
``max_queue`` wait. A 4xx answer is the service refusing an event: it keeps the refused payload
in its rejects, so the sink logs the reason and does not resend it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from mineguard.runtime.video import CameraHealth
from mineguard.runtime.watch import Evidence, WireEvent

log = logging.getLogger(__name__)
DOWN_STATES = ("reconnecting", "stalled", "stopped")


@dataclass
class SinkStats:
    sent: int = 0
    refused: int = 0
    evidence: int = 0
    dropped: int = 0
    failures: int = 0


class ServiceSink:
    def __init__(
        self,
        base_url: str,
        gateway_id: str | None = None,
        secret: str | None = None,
        *,
        token: str | None = None,
        timeout_s: float = 10.0,
        max_queue: int = 10_000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if token is not None:
            headers = {"Authorization": f"Bearer {token}"}
        elif gateway_id and secret:
            headers = {"X-Gateway-Id": gateway_id, "X-Gateway-Secret": secret}
        else:
            raise ValueError("a camera box needs a gateway id and its secret, or a manager's token")
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )
        self.max_queue = max_queue
        self._queue: deque[dict[str, Any]] = deque()
        self.stats = SinkStats()

    def close(self) -> None:
        self._http.close()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def send(self, camera: str, events: Sequence[WireEvent], evidence: Mapping[str, Evidence]) -> None:
        wires = []
        for event in events:
            wire = event.wire()
            files = evidence.get(event.event_id)
            if files is not None:
                wire["attributes"]["evidence"] = self._upload(camera, files)
            wires.append(wire)
        self.post(wires)

    def health(self, health: CameraHealth) -> None:
        if health.state in ("connecting", "ended"):
            return  # not yet known to be down; a recording that ended is not a broken camera
        down = health.state in DOWN_STATES
        now = datetime.now(UTC)
        event = {
            "source": "system",
            "label": "camera_down",
            "t": now.isoformat(),
            "device_id": health.camera,
            "value": down,
            "event_id": f"{health.camera}:health:{int(now.timestamp() * 1000)}",
            "attributes": {
                "state": health.state,
                "error": (health.last_error or "")[:500],
                "reconnects": health.reconnects,
                "frames_dropped": health.frames_dropped,
            },
        }
        self._enqueue([event])
        self.flush()

    def flush(self) -> bool:
        """Send what waits, in order; False (and everything still queued) when the service is out of reach."""
        while self._queue:
            batch = [self._queue[i] for i in range(min(500, len(self._queue)))]
            try:
                response = self._http.post("/api/v1/events", json=batch)
            except httpx.HTTPError as exc:
                return self._failed(f"cannot reach the service: {exc}")
            if response.status_code >= 500 or response.status_code in (401, 403, 429):
                return self._failed(f"the service answered {response.status_code}: {response.text[:300]}")
            for _ in batch:
                self._queue.popleft()
            if response.status_code != 200:
                self.stats.refused += len(batch)
                log.error("the service refused %d event(s): %s", len(batch), response.text[:500])
                continue
            report = response.json()
            self.stats.sent += int(report.get("accepted", 0)) + int(report.get("duplicates", 0))
            self.stats.refused += int(report.get("rejected", 0))
            for reject in report.get("rejects", []):
                log.error("event refused: %s", reject.get("detail"))
        return True

    def _enqueue(self, wires: list[dict[str, Any]]) -> None:
        self._queue.extend(wires)
        while len(self._queue) > self.max_queue:
            self._queue.popleft()
            self.stats.dropped += 1
        if self.stats.dropped and self.stats.dropped % 100 == 1:
            log.warning(
                "%d vision event(s) dropped: more than %d waited for the service", self.stats.dropped, self.max_queue
            )

    def _failed(self, why: str) -> bool:
        self.stats.failures += 1
        log.warning("%s — %d event(s) wait and go with the next send", why, len(self._queue))
        return False

    def upload(self, what: str, files: Mapping[str, bytes | None]) -> dict[str, str]:
        """Each non-empty file to ``POST /api/v1/evidence``; its name -> SHA-256 for those the service
        stored (``what`` names the sender in the log, e.g. "camera 'cam-1'"). A file that cannot be
        uploaded is logged and left out: the event goes without it."""
        named: dict[str, str] = {}
        for kind, data in files.items():
            if not data:
                continue
            try:
                response = self._http.post("/api/v1/evidence", content=data)
            except httpx.HTTPError as exc:
                log.warning("%s: %s not uploaded (%s); the event goes without it", what, kind, exc)
                continue
            if response.status_code != 200:
                log.warning("%s: %s refused (%d): %s", what, kind, response.status_code, response.text[:300])
                continue
            named[kind] = response.json()["sha256"]
            self.stats.evidence += 1
        return named

    def post(self, wires: Sequence[dict[str, Any]]) -> bool:
        """Events already in the wire format, queued and sent now (False: the service is out of reach)."""
        self._enqueue(list(wires))
        return self.flush()

    def _upload(self, camera: str, files: Evidence) -> dict[str, str]:
        return self.upload(f"camera {camera!r}", {"snapshot": files.snapshot_jpeg, "clip": files.clip_mp4})


def login_token(base_url: str, username: str, password: str, *, timeout_s: float = 10.0) -> str:
    """A bearer token for ``username`` (``POST /api/v1/auth/token``); a clear error when refused."""
    response = httpx.post(
        f"{base_url.rstrip('/')}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=timeout_s,
    )
    if response.status_code != 200:
        raise ValueError(f"login as {username!r} at {base_url} refused: {response.status_code} {response.text[:200]}")
    return response.json()["access_token"]
