"""The embedded transport: an in-process publish/subscribe bus (the worker that stores what
arrives on it is :mod:`.worker`).

Topics follow the MQTT scheme of :mod:`.schema`, ``mineguard/<site_id>/<device_id>/<kind>``,
so an MQTT transport can replace :class:`InProcessBus` behind the :class:`Communicator` ABC.
Subscriptions take MQTT wildcards: ``+`` is exactly one level, ``#`` (last) any number of
levels, zero included (``mineguard/#`` also matches ``mineguard``).

Delivery is at least once within the process: ``publish`` waits for room in the bounded queue
instead of dropping (``BusFull`` after ``put_timeout_s``), one worker thread delivers messages in
publish order (so in order per topic), a handler that raises gets the message again (up to
``max_attempts``; after that it is logged and counted in ``failed``), and ``stop`` delivers what
is queued before it returns. Re-deliveries are safe
for the :class:`IngestWorker` because ingestion is idempotent on ``(device_id, seq)``.
"""

from __future__ import annotations

import functools
import logging
import queue
import re
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mineguard.services.ingest.schema import ID_PATTERN, KIND_PATTERN

log = logging.getLogger(__name__)
Handler = Callable[[str, bytes], None]
Ack = Callable[[], None]
AckedHandler = Callable[[str, bytes, Ack], None]
ROOT = "mineguard"
_STOP = object()


class TopicError(ValueError):
    """A topic or subscription pattern that breaks the scheme; the message shows the right form."""


@dataclass(frozen=True)
class Topic:
    site_id: str
    device_id: str
    kind: str


def topic_for(site_id: str, device_id: str, kind: str) -> str:
    """``mineguard/<site_id>/<device_id>/<kind>``, checking that each part can be a topic level."""
    for name, value, pattern in (
        ("site_id", site_id, ID_PATTERN),
        ("device_id", device_id, ID_PATTERN),
        ("kind", kind, KIND_PATTERN),
    ):
        if not re.fullmatch(pattern, value):
            raise TopicError(
                f"{name} {value!r} cannot be a topic level — use letters, digits, '_', '.', ':' or '-' "
                "(no '/', '+', '#')"
            )
    return f"{ROOT}/{site_id}/{device_id}/{kind}"


def partition_of(device_id: str, partitions: int) -> int:
    """The partition (0 .. partitions - 1) a sensor's readings belong to: CRC-32 of its id modulo ``partitions``,
    stable across runs, processes and machines (Python's ``hash`` is salted). The ingest processes
    (``pool.py``) and the cluster's ingest actors (``mineguard.cluster``) split a site's sensors by it."""
    if partitions < 1:
        raise ValueError(f"partitions is {partitions} — use 1 or more")
    return zlib.crc32(device_id.encode()) % partitions


@functools.lru_cache(maxsize=4096)  # a site has a bounded set of sensors: each topic is checked once
def parse_topic(topic: str) -> Topic:
    """The parts of a reading topic; raises :class:`TopicError` saying what the scheme is."""
    levels = topic.split("/")
    scheme = "mineguard/<site_id>/<device_id>/<kind>, e.g. mineguard/sample_coal_mine/ch4-1101-t/methane"
    if len(levels) != 4 or levels[0] != ROOT:
        raise TopicError(f"topic {topic[:200]!r} is not a reading topic — use {scheme}")
    try:
        topic_for(*levels[1:])
    except TopicError as exc:
        raise TopicError(f"topic {topic[:200]!r}: {exc}") from None
    return Topic(*levels[1:])


def check_pattern(pattern: str) -> None:
    """A valid subscription: wildcards fill a whole level, and ``#`` only comes last."""
    levels = pattern.split("/")
    for i, level in enumerate(levels):
        if ("+" in level or "#" in level) and len(level) > 1:
            raise TopicError(f"pattern {pattern!r}: a wildcard must be a whole level ('a/+/b', not 'a/x+/b')")
        if level == "#" and i != len(levels) - 1:
            raise TopicError(f"pattern {pattern!r}: '#' must be the last level ('mineguard/site/#')")


def topic_matches(pattern: str, topic: str) -> bool:
    """MQTT matching of ``topic`` against ``pattern`` (``+`` one level, ``#`` the rest)."""
    wanted, levels = pattern.split("/"), topic.split("/")
    for i, level in enumerate(wanted):
        if level == "#":
            return True
        if i >= len(levels) or (level != "+" and level != levels[i]):
            return False
    return len(wanted) == len(levels)


class Communicator(ABC):
    """A message transport carrying bytes payloads on topics (the in-process bus; later MQTT)."""

    @abstractmethod
    def publish(self, topic: str, payload: bytes) -> None: ...

    @abstractmethod
    def subscribe(self, pattern: str, handler: Handler) -> None: ...

    def subscribe_acked(self, pattern: str, handler: AckedHandler) -> None:
        """Subscribe with explicit acknowledgement: the handler calls ``ack()`` once the message
        is safely stored. Durable transports (MQTT) redeliver what was never acknowledged; the
        in-process bus has nothing to redeliver after a crash, so its ``ack`` does nothing."""
        self.subscribe(pattern, lambda topic, payload: handler(topic, payload, _no_ack))

    def ack_all(self, acks: Sequence[Ack]) -> None:
        """Acknowledge many messages at once (a stored batch); a transport may send the acknowledgements
        together (MQTT: one write of PUBACKs instead of one per message)."""
        for ack in acks:
            ack()

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


def _no_ack() -> None:
    return None


class BusClosed(RuntimeError):
    """Publishing on a bus that was stopped."""


class BusFull(RuntimeError):
    """The queue stayed full for ``put_timeout_s``: the subscribers are behind."""


class InProcessBus(Communicator):
    """A bounded queue drained by one delivery thread; ``drain(timeout)`` waits until all is delivered."""

    def __init__(
        self, maxsize: int = 10_000, *, put_timeout_s: float = 5.0, max_attempts: int = 3, retry_delay_s: float = 0.05
    ) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._subscriptions: list[tuple[str, Handler]] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self.put_timeout_s, self.max_attempts, self.retry_delay_s = put_timeout_s, max_attempts, retry_delay_s
        self.failed = 0  # deliveries given up after max_attempts (logged)

    def publish(self, topic: str, payload: bytes) -> None:
        if not topic or "+" in topic or "#" in topic:
            raise TopicError(f"cannot publish to {topic!r} — a topic has no wildcards; e.g. mineguard/site/device/kind")
        with self._lock:
            if self._closed:
                raise BusClosed("the bus was stopped — publish before stop(), or start a new bus")
            self._pending += 1
        try:
            self._queue.put((topic, bytes(payload)), timeout=self.put_timeout_s)
        except queue.Full:
            self._done()
            raise BusFull(
                f"queue full for {self.put_timeout_s:g} s ({self._queue.maxsize} messages) — the "
                "subscribers are behind; publish less often or raise maxsize"
            ) from None

    def subscribe(self, pattern: str, handler: Handler) -> None:
        check_pattern(pattern)
        with self._lock:
            self._subscriptions.append((pattern, handler))

    def start(self) -> None:
        with self._lock:
            if self._closed:
                raise BusClosed("the bus was stopped — start a new bus")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mineguard-bus", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then end the delivery thread; a bus
        never started is only closed (its queue is not delivered)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self.drain(timeout)
        self._queue.put(_STOP)
        thread.join(timeout)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every published message has been handled; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._deliver(*item)
            finally:
                self._done()

    def _deliver(self, topic: str, payload: bytes) -> None:
        with self._lock:
            handlers = [handler for pattern, handler in self._subscriptions if topic_matches(pattern, topic)]
        for handler in handlers:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    handler(topic, payload)
                    break
                except Exception:
                    log.exception("bus handler failed on %s (attempt %d of %d)", topic, attempt, self.max_attempts)
                    if attempt == self.max_attempts:
                        self.failed += 1
                    else:
                        time.sleep(self.retry_delay_s)
