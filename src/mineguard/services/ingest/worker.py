"""The ingest worker: subscribes to a site's topics on any :class:`~.bus.Communicator` and
stores what arrives, in batches, each in its own session. Re-deliveries are safe because
ingestion is idempotent on ``(device_id, seq)``."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.ingest.bus import ROOT, Ack, Communicator, TopicError, parse_topic
from mineguard.services.ingest.store import IngestReport, ingest, record_rejections
from mineguard.services.ingest.validate import Rejection, RejectReason
from mineguard.services.storage.types import utc_now

log = logging.getLogger(__name__)


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

    A payload whose device or kind differs from its topic's is rejected ``invalid_schema``. When
    the database fails, the batch is kept and retried every ``retry_s`` seconds (nothing is
    dropped while the process runs).
    """

    def __init__(self, bus: Communicator, sessions: sessionmaker[Session], *, site_id: str, batch_size: int = 500,
                 max_delay_ms: float = 50.0, source: str = "bus", max_skew_s: float = 300.0, retry_s: float = 1.0,
                 clock: Callable[[], datetime] = utc_now,
                 on_report: Callable[[IngestReport], None] | None = None) -> None:  # fmt: skip
        self.bus, self.sessions, self.site_id = bus, sessions, site_id
        self.batch_size, self.max_delay_s, self.source = batch_size, max_delay_ms / 1000, source
        self.max_skew_s, self.retry_s, self.clock, self.on_report = max_skew_s, retry_s, clock, on_report
        self.pattern = f"{ROOT}/{site_id}/+/+"
        self.totals = IngestTotals()
        self._buffer: list[tuple[str, bytes, float, Ack]] = []
        self._in_flight = 0
        self._stopping = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.bus.subscribe_acked(self.pattern, self._on_message)
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
        with self._cond:
            self._buffer.append((topic, payload, time.monotonic(), ack))
            if len(self._buffer) == 1 or len(self._buffer) >= self.batch_size:  # start the clock / batch full
                self._cond.notify_all()

    def _next_batch(self) -> list[tuple[str, bytes, float, Ack]] | None:
        with self._cond:
            self._cond.wait_for(lambda: self._buffer or self._stopping)
            if not self._buffer:
                return None
            deadline = self._buffer[0][2] + self.max_delay_s
            while len(self._buffer) < self.batch_size and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch, self._buffer = self._buffer[: self.batch_size], self._buffer[self.batch_size :]
            self._in_flight = len(batch)
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._store(batch)
            except Exception:
                with self._cond:
                    self._buffer[:0], self._in_flight = batch, 0
                    stopping = self._stopping
                if stopping:
                    log.exception("ingest failed while stopping: %d readings NOT stored", len(self._buffer))
                    return
                log.exception("ingest of %d readings failed; retrying in %g s", len(batch), self.retry_s)
                time.sleep(self.retry_s)
                continue
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def _store(self, batch: list[tuple[str, bytes, float, Ack]]) -> None:
        payloads: list[bytes] = []
        expected: list[tuple[str, str]] = []
        bad_topics: list[Rejection] = []
        for topic, payload, _, _ in batch:
            try:
                parts = parse_topic(topic)
            except TopicError as exc:
                bad_topics.append(Rejection(None, RejectReason.INVALID_SCHEMA, str(exc), raw=payload))
                continue
            payloads.append(payload)
            expected.append((parts.device_id, parts.kind))
        now = self.clock()
        with self.sessions() as session, session.begin():
            report = ingest(session, payloads, source=self.source, now=now, max_skew_s=self.max_skew_s,
                            expected=expected)  # fmt: skip
            record_rejections(session, bad_topics, source=self.source, now=now)
        self.totals.add(report, bad_topics)
        for *_, ack in batch:  # only now may a durable transport forget the messages
            ack()
        if self.on_report is not None:
            try:  # the readings are stored and acknowledged: a failing consumer must not re-ingest them
                self.on_report(report)
            except Exception:
                log.exception("ingest report handler failed for a batch of %d readings", len(report.accepted))
