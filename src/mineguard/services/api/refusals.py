"""Ingest bodies refused for their size are kept as rejects like every other refused payload.

:class:`BodySizeLimit` refuses an oversized body with 413 before any route reads it; for the ingest
routes (``POST /api/v1/readings``, ``/api/v1/events``, ``/api/v1/gateways/{id}/readings``)
:class:`RefusalLog` then keeps one ``rejected_payloads`` row, reason ``oversized``: method, path,
size, the sender's address and claimed gateway id — never the body. ``GET /api/v1/readings/stats``
counts them. The event loop only queues the refusal; one background thread writes it. While more
than ``max_pending`` refusals wait (a flood), further ones are counted in :attr:`dropped` and logged.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Iterable

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import BaseRoute

from mineguard.services.api.errors import Refusal
from mineguard.services.ingest.store import record_rejections
from mineguard.services.ingest.validate import Rejection, RejectReason
from mineguard.services.storage.db import transaction
from mineguard.services.storage.types import utc_now

log = logging.getLogger(__name__)

INGEST = {"x-ingest": True}  # ``openapi_extra`` of an ingest route: its refused bodies are kept as rejects
_STOP = object()


class RefusalLog:
    """Writes the refusals of ingest routes (declared ``openapi_extra={**INGEST, ...}``) to ``rejected_payloads``
    from a thread of its own."""

    def __init__(self, sessions: sessionmaker[Session], *, max_pending: int = 1000, batch: int = 100) -> None:
        self.sessions, self.batch = sessions, batch
        self._pending: queue.Queue = queue.Queue(max_pending)
        self._thread: threading.Thread | None = None
        self._routes: list[re.Pattern[str]] = []
        self.dropped = 0

    def watch(self, routes: Iterable[BaseRoute]) -> None:
        """Also keep refusals of those ``routes`` (a router's) that are POST and declared with ``INGEST``."""
        self._routes += [
            route.path_regex
            for route in routes
            if isinstance(route, APIRoute)
            and "POST" in route.methods
            and (route.openapi_extra or {}).get("x-ingest") is True
        ]

    def __call__(self, refusal: Refusal) -> None:
        """Queue ``refusal`` when it is a POST to an ingest route (called on the event loop: never blocks)."""
        if refusal.method != "POST" or not any(route.match(refusal.path) for route in self._routes):
            return
        try:
            self._pending.put_nowait(refusal)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("%d refused bodies not recorded: the refusal log is full (a flood?)", self.dropped)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mineguard-refusals", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Write what is queued, then stop."""
        if self._thread is not None:
            self._pending.put(_STOP)
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._pending.get()
            refusals = [first]
            while len(refusals) < self.batch and not self._pending.empty():
                refusals.append(self._pending.get_nowait())
            stop = any(item is _STOP for item in refusals)
            self._write([item for item in refusals if item is not _STOP])
            if stop:
                return

    def _write(self, refusals: list[Refusal]) -> None:
        if not refusals:
            return
        try:
            with transaction(self.sessions) as session:
                now = utc_now()
                for refusal in refusals:
                    record_rejections(session, [as_rejection(refusal)], source=_source(refusal), now=now)
        except Exception:  # the database is down: the 413s went out; losing their record is logged
            log.exception("could not record %d refused bodies", len(refusals))


def as_rejection(refusal: Refusal) -> Rejection:
    size = "of unknown size" if refusal.size is None else f"of {refusal.size} bytes"
    if refusal.chunked:
        size = f"(chunked) cut off after {refusal.size} bytes"
    claimed = f"; X-Gateway-Id {refusal.gateway_id!r} (not authenticated)" if refusal.gateway_id else ""
    limit = f"over the {refusal.limit}-byte limit — refused unread with 413, not stored{claimed}"
    return Rejection(None, RejectReason.OVERSIZED, f"{refusal.method} {refusal.path}: body {size}, {limit}")


def _source(refusal: Refusal) -> str:
    return f"http:addr:{refusal.client or 'unknown'}"[:100]
