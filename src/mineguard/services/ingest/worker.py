"""The ingest worker: subscribes to a site's topics on any :class:`~.bus.Communicator` and
stores what arrives, in batches, each in its own session. Re-deliveries are safe because
ingestion is idempotent on ``(device_id, seq)``."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.ingest.bus import ROOT, Ack, Communicator, TopicError, parse_topic
from mineguard.services.ingest.store import Cleanser, IngestReport, ingest, record_rejections
from mineguard.services.ingest.validate import (
    Payload,
    Rejection,
    RejectReason,
    batch_weight,
    internal_error,
    message_readings,
    payload_bytes,
)
from mineguard.services.storage.db import is_transient
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import MAX_SKEW_S

log = logging.getLogger(__name__)
# topic, payload, when it arrived (monotonic s), acknowledge, about how many readings it carries
Message = tuple[str, bytes, float, Ack, int]


@dataclass(frozen=True)
class IngestStatus:
    """A snapshot of an :class:`IngestWorker` (``GET /api/v1/health``, the ingest-health alert)."""

    running: bool  # the worker thread is alive
    waiting: int  # messages received and not yet stored
    lag_s: float | None  # how long the oldest waiting message has waited; None when none waits
    consecutive_failures: int  # failed attempts to store since the last success
    last_error: str | None  # the last failure, while failures go on
    last_stored_at: datetime | None  # when the worker last committed something (server clock)
    accepted: int  # readings stored since start

    def problem(self, stuck_s: float) -> str | None:
        """Why ingest is stuck (worker gone, or a message waiting over ``stuck_s``); None when it is not."""
        if not self.running:
            return "the ingest worker has stopped: sensor readings are not being stored — restart the service"
        if self.lag_s is None or self.lag_s <= stuck_s:
            return None
        waiting = f"{self.waiting} message{'' if self.waiting == 1 else 's'} waiting"
        why = f"; {self.consecutive_failures} failed attempts to store, the last: {self.last_error}"
        return (
            f"ingest stuck: {waiting}, the oldest for {self.lag_s:.0f} s (limit {stuck_s:g} s)"
            f"{why if self.consecutive_failures else ''}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "waiting": self.waiting,
            "lag_s": None if self.lag_s is None else round(self.lag_s, 3),
            "consecutive_failures": self.consecutive_failures,
            "last_error": self.last_error,
            "last_stored_at": self.last_stored_at.isoformat() if self.last_stored_at else None,
            "accepted": self.accepted,
        }


@dataclass
class IngestTotals:
    """Running counts of an :class:`IngestWorker`."""

    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: Counter = field(default_factory=Counter)

    def add(self, report: IngestReport, extra: list[Rejection]) -> None:
        self.batches += 1
        self.accepted += len(report.accepted)
        self.duplicates += report.duplicates
        self.rejected.update(r.reason.value for r in [*report.rejections, *extra])


class IngestWorker:
    """Subscribes to ``mineguard/<site_id>/+/+`` and ingests what arrives in batches of up to
    ``batch_size`` readings or ``max_delay_ms`` after the first one waits, each in its own session.

    A message carries one reading or a batch of its device's readings (``schema.py``); a batch message
    is never split across two transactions, so a transaction may hold up to one message more than
    ``batch_size`` readings. A reading whose device or kind differs from its topic's is rejected
    ``invalid_schema``. When the database is away (:func:`~mineguard.services.storage.db.is_transient`),
    the batch is kept and retried every ``retry_s`` seconds (nothing is dropped while the process runs).
    When a batch fails for any other reason, its messages are stored one by one, and one that still
    fails is refused ``internal_error`` (kept among the rejects, a batch message reading by reading) and
    acknowledged.
    """

    def __init__(
        self,
        bus: Communicator,
        sessions: sessionmaker[Session],
        *,
        site_id: str,
        batch_size: int = 500,
        max_delay_ms: float = 50.0,
        source: str = "bus",
        max_skew_s: float = MAX_SKEW_S,
        retry_s: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
        on_report: Callable[[IngestReport], None] | None = None,
        cleanser: Cleanser | None = None,
        patterns: Sequence[str] | None = None,
        accept: Callable[[str], bool] | None = None,
    ) -> None:
        """``patterns``: the topic filters to take (default the site's every reading topic); ``accept``: which
        device ids of those topics this worker stores (the others are acknowledged and left to the worker
        that owns them, see ``pool.py``)."""
        self.bus, self.sessions, self.site_id, self.cleanser = bus, sessions, site_id, cleanser
        self.patterns = list(patterns) if patterns is not None else [f"{ROOT}/{site_id}/+/+"]
        self.accept = accept
        self.batch_size, self.max_delay_s, self.source = batch_size, max_delay_ms / 1000, source
        self.max_skew_s, self.retry_s, self.clock, self.on_report = max_skew_s, retry_s, clock, on_report
        self.totals = IngestTotals()
        self._buffer: list[Message] = []
        self._buffered = 0  # readings (by batch_weight) in _buffer
        self._in_flight = 0
        self._in_flight_since: float | None = None  # when the oldest message of the batch being stored arrived
        self._failures, self._last_error, self._last_stored_at = 0, None, None
        self._stopping = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for pattern in self.patterns:
            self.bus.subscribe_acked(pattern, self._on_message)
        self._thread = threading.Thread(target=self._run, name=f"mineguard-ingest-{self.site_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store what is buffered, then end the worker thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything received so far is stored; False if ``timeout`` passed first."""
        with self._cond:
            self._cond.notify_all()
            return self._cond.wait_for(lambda: not self._buffer and not self._in_flight, timeout)

    def _on_message(self, topic: str, payload: bytes, ack: Ack) -> None:
        if self.accept is not None:
            levels = topic.split("/")
            if len(levels) == 4 and not self.accept(levels[2]):
                ack()  # another worker's device: it has its own subscription to it
                return
        weight = batch_weight(payload)
        with self._cond:
            self._buffer.append((topic, payload, time.monotonic(), ack, weight))
            self._buffered += weight
            if len(self._buffer) == 1 or self._buffered >= self.batch_size:  # start the clock / batch full
                self._cond.notify_all()

    def _next_batch(self) -> list[Message] | None:
        with self._cond:
            self._cond.wait_for(lambda: self._buffer or self._stopping)
            if not self._buffer:
                return None
            deadline = self._buffer[0][2] + self.max_delay_s
            while self._buffered < self.batch_size and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            taken = size = 0
            while taken < len(self._buffer) and size < self.batch_size:
                size += self._buffer[taken][4]
                taken += 1
            batch, self._buffer = self._buffer[:taken], self._buffer[taken:]
            self._buffered -= size
            self._in_flight, self._in_flight_since = len(batch), batch[0][2]
            return batch

    def status(self) -> IngestStatus:
        """What the worker is doing now: messages waiting, the oldest one's wait, failures in a row."""
        with self._cond:
            waiting = len(self._buffer) + self._in_flight
            received = [
                t for t in (self._in_flight_since, self._buffer[0][2] if self._buffer else None) if t is not None
            ]
            lag_s = time.monotonic() - min(received) if received else None
            failures, last_error, last_stored_at = self._failures, self._last_error, self._last_stored_at
        running = self._thread is not None and self._thread.is_alive()
        return IngestStatus(running, waiting, lag_s, failures, last_error, last_stored_at, self.totals.accepted)

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            left = self._store_isolating(batch)
            with self._cond:
                self._buffer[:0], self._in_flight, self._in_flight_since = left, 0, None
                self._buffered += sum(message[4] for message in left)
                stopping = self._stopping
                self._cond.notify_all()
            if not left:
                continue
            if stopping:
                log.error("ingest failed while stopping: %d readings NOT stored", len(self._buffer))
                return
            log.warning("storing %d readings failed (%s); retrying in %g s", len(left), self._last_error, self.retry_s)
            time.sleep(self.retry_s)

    def _store_isolating(self, batch: list[Message]) -> list[Message]:
        """Store ``batch``; the messages still to store afterwards (kept and retried: the database is away).

        When the batch fails for a reason other than the database being away, each message is
        stored on its own, and one that still fails is refused ``internal_error`` (kept with its
        payload) and acknowledged: a poison message never blocks the stream behind it.
        """
        try:
            self._store(batch)
        except Exception as exc:
            self._failed(exc)
            if is_transient(exc):
                return batch
            log.exception("storing a batch of %d messages failed; storing them one by one", len(batch))
        else:
            return []
        for i, message in enumerate(batch):
            try:
                self._store([message])
            except Exception as exc:
                if is_transient(exc):
                    self._failed(exc)
                    return batch[i:]
                try:
                    self._refuse(message, exc)
                except Exception as again:  # the reject cannot be stored either: keep the message
                    self._failed(again)
                    return batch[i:]
        return []

    def _failed(self, exc: BaseException) -> None:
        with self._cond:
            self._failures += 1
            self._last_error = f"{type(exc).__name__}: {str(exc)[:300]}"

    def _stored(self) -> None:
        with self._cond:
            self._failures, self._last_error, self._last_stored_at = 0, None, utc_now()

    def _refuse(self, message: Message, exc: Exception) -> None:
        topic, payload, _, ack, _ = message
        try:
            device_id: str | None = parse_topic(topic).device_id
        except TopicError:
            device_id = None
        rejection = internal_error(None, exc, payload, device_id)
        items = message_readings(payload, validated=False)  # each reading's own text, for the rejects
        rejections = [rejection]
        if isinstance(items, list) and items:  # a batch: each reading kept on its own, none cut at the 64 KiB limit
            rejections = [replace(rejection, index=i, raw=payload_bytes(item)) for i, item in enumerate(items)]
        with self.sessions() as session, session.begin():
            record_rejections(session, rejections, source=self.source, now=self.clock())
        self.totals.rejected[rejection.reason.value] += len(rejections)
        self._stored()
        ack()

    def _store(self, batch: list[Message]) -> None:
        payloads: list[Payload] = []
        expected: list[tuple[str, str]] = []
        bad_topics: list[Rejection] = []  # and batch messages refused whole
        for topic, payload, _, _, _ in batch:
            try:
                parts = parse_topic(topic)
            except TopicError as exc:
                bad_topics.append(Rejection(None, RejectReason.INVALID_SCHEMA, str(exc), raw=payload))
                continue
            claim = (parts.device_id, parts.kind)
            items = message_readings(payload)
            if items is None:
                payloads.append(payload)
                expected.append(claim)
            elif isinstance(items, Rejection):
                bad_topics.append(replace(items, device_id=parts.device_id))
            else:
                payloads.extend(items)
                expected.extend([claim] * len(items))
        now = self.clock()
        with self.sessions() as session, session.begin():
            report = ingest(
                session,
                payloads,
                source=self.source,
                now=now,
                max_skew_s=self.max_skew_s,
                expected=expected,
                cleanser=self.cleanser,
            )
            record_rejections(session, bad_topics, source=self.source, now=now)
        self.totals.add(report, bad_topics)
        self._stored()
        self.bus.ack_all([message[3] for message in batch])  # only now may a durable transport forget them
        if self.on_report is not None:
            try:  # the readings are stored and acknowledged: a failing consumer must not re-ingest them
                self.on_report(report)
            except Exception:
                log.exception("ingest report handler failed for a batch of %d readings", len(report.accepted))
