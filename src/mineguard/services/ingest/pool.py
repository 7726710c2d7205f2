"""Several ingest worker processes splitting one MQTT stream (``MINEGUARD_INGEST_WORKERS``).

One :class:`IngestWorker` is one Python thread: parsing, checks, cleansing and the insert of every
reading share one GIL. :class:`IngestPool` starts ``workers`` processes instead; each has its own
database engine, its own :class:`~.mqtt.MqttCommunicator` (client id ``<client_id>-<k>``, a
persistent session) and its own cleanser. Each acknowledges a message only after its batch is
committed, as the single worker does, and ``(device_id, seq)`` keeps a redelivered reading from being
stored twice.

How the stream is split (``partition``):

- ``"device"`` (the default): each of the site's sensors belongs to one process (:func:`partition_of`,
  CRC-32 of its id modulo ``workers``). Processes 1 .. n-1 subscribe, with plain persistent
  subscriptions, to their own devices' topics ``mineguard/<site>/<device>/+``; process 0 to the site's
  every topic ``mineguard/<site>/+/+``, storing its own devices and any device of no partition (one
  registered after the start, or unknown: refused and kept as a rejected payload) and acknowledging the
  others' readings unprocessed (:func:`member_topics`), from the raw packet without decoding it
  (:func:`skipped_devices`). So one process sees all of a sensor's
  readings: its cleanser judges the whole stream, and the readings reach the rules in order. The broker
  keeps plain subscriptions in its persistence over a restart, so a restart loses nothing
  (``tests/services/ingest/test_pool_faults.py``). The price: process 0 receives every message (and
  drops most), and a sensor added at run time is stored by process 0 until the service restarts.
- ``"share"``: one MQTT shared subscription ``$share/<share_group>/mineguard/<site>/+/+``; the broker
  hands each reading to any process. No per-device affinity: each process's cleanser sees part of a
  sensor's stream, and readings of one sensor stored by two processes can reach the rules out of time
  order (the rule feed holds those back, ``RuleFeed``, as it does any late reading). And Mosquitto
  (2.0.11 at least) does not restore ``$share`` subscriptions from its persistence file: a reading a
  gateway publishes after the broker's start and before the first process has subscribed again
  matches no subscription, so the broker acknowledges and drops it (each reconnect in the group logs a
  WARNING; :meth:`IngestPool.wait_ready` with ``since`` tells when every process is back).

The processes send what they stored (the accepted readings, by column: :func:`pack_accepted`; the new
live states and the counts) back over a pipe; the pool hands it to ``on_report`` in the parent (the
alert pipeline and the live stream, as the single worker's callback does) and keeps the totals and the
status the service shows. A process that dies (``kill -9``, out of memory) is started again with the same client id;
the broker then delivers what it had not acknowledged. See ``docs/results/platform.md``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from mineguard.services.ingest.bus import ROOT, partition_of
from mineguard.services.ingest.store import AcceptedReading, Cleanser, IngestReport
from mineguard.services.ingest.worker import IngestStatus, IngestTotals, IngestWorker

log = logging.getLogger(__name__)
_T = AcceptedReading._fields.index("t")
_TEXTS = [AcceptedReading._fields.index(name) for name in ("device_id", "kind", "unit", "raw_unit")]


@dataclass(frozen=True)
class PoolConfig:
    """What each worker process needs to build its own engine, transport and worker (picklable)."""

    database_url: str
    host: str
    port: int
    username: str | None
    password: str | None
    site_id: str
    client_id: str  # process k connects as <client_id>-<k>: a fixed id per slot, so a restart gets its session back
    share_group: str = "mineguard-ingest"
    batch_size: int = 2000
    max_delay_ms: float = 20.0
    max_skew_s: float = 300.0
    status_every_s: float = 0.5
    # True: MQTT 5. False: the same $share subscription on MQTT 3.1.1 (Mosquitto takes it), which paho decodes
    # for ~160 µs less CPU a reading (docs/results/platform.md)
    mqtt5: bool = False
    # "device": each process owns the readings of a fixed set of the site's devices (plain subscriptions);
    # "share": the broker hands each message to any process ($share); see the module text
    partition: str = "device"
    devices: tuple[str, ...] = ()  # the site's reading devices, split between the processes by partition_of


def pack_accepted(readings: Sequence[AcceptedReading]) -> list[list[Any]]:
    """``readings`` by column, for the pipe to the service: times as epoch seconds (exact to the microsecond for
    any time a reading may have, 1900 to now), each text once (pickle refers back to an object it has sent).
    A list of objects costs ~3 µs a reading to pickle and ~5 to unpickle; columns ~1.3 each
    (``docs/results/platform.md``)."""
    columns = [list(column) for column in zip(*readings, strict=True)]
    if columns:
        texts: dict[str, str] = {}
        for j in _TEXTS:
            columns[j] = [texts.setdefault(text, text) for text in columns[j]]
        columns[_T] = [t.timestamp() for t in columns[_T]]
    return columns


def unpack_accepted(columns: list[list[Any]]) -> list[AcceptedReading]:
    """The readings :func:`pack_accepted` packed, times in UTC."""
    if not columns:
        return []
    columns[_T] = [datetime.fromtimestamp(ts, UTC) for ts in columns[_T]]
    return list(map(AcceptedReading, *columns))


def member_topics(config: PoolConfig, k: int, workers: int) -> tuple[list[str], Callable[[str], bool] | None]:
    """Process ``k``'s topic filters and which devices of them it stores (None: all).

    By device, process 1 .. n-1 subscribes to each of its devices' topics; process 0 to the site's every
    reading topic, storing its own devices and any device of no partition (one added after the start, or
    unknown: refused and kept) and leaving the others to their owners. In a share group every process
    takes the site's every topic."""
    every = f"{ROOT}/{config.site_id}/+/+"
    if config.partition == "share" or workers == 1:
        return [every], None
    if config.partition != "device":
        raise ValueError(f"partition {config.partition!r}: use 'device' or 'share'")
    if k == 0:
        others = frozenset(d for d in config.devices if partition_of(d, workers) != 0)
        return [every], lambda device: device not in others
    return [f"{ROOT}/{config.site_id}/{d}/+" for d in config.devices if partition_of(d, workers) == k], None


def skipped_devices(config: PoolConfig, k: int, workers: int) -> frozenset[str]:
    """The devices whose readings process ``k`` receives but leaves to their owners: by device, process 0's
    subscription to the site's every topic brings it the others' readings, which its client acknowledges from
    the raw packet without decoding them (``paho_client.IngestClient``); the others receive only their own."""
    if k != 0 or workers == 1 or config.partition != "device":
        return frozenset()
    return frozenset(d for d in config.devices if partition_of(d, workers) != 0)


class IngestPool:
    """``workers`` ingest processes splitting the site's stream (by device, or in a shared subscription), with the
    :class:`IngestWorker`
    interface the service uses (``start``, ``stop``, ``status``, ``totals``, ``source``).

    ``cleanser`` is a picklable factory (the ``LiveCleanser`` class): each process builds its own.
    """

    def __init__(
        self,
        config: PoolConfig,
        *,
        workers: int,
        cleanser: Callable[[], Cleanser] | None = None,
        on_report: Callable[[IngestReport], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers is {workers} — an ingest pool runs at least one process")
        self.config, self.workers, self.cleanser, self.on_report = config, workers, cleanser, on_report
        self.source = "mqtt"
        self.totals = IngestTotals()
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        # one pipe per process, nothing shared between them: a process killed in the middle of a write
        # holds no lock the others need (a shared multiprocessing Queue or Event would hang them all)
        self._readers: dict[int, Connection] = {}
        self._processes: list[Any] = [None] * workers
        self._statuses: dict[int, IngestStatus] = {}
        self._subscribed_at: dict[int, float | None] = {}  # per process: its last SUBACK (time.time()), or None
        self._lock = threading.Lock()
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for k in range(self.workers):
            self._spawn(k)
        for target, name in ((self._receive, "reports"), (self._supervise, "supervisor")):
            thread = threading.Thread(target=target, name=f"mineguard-ingest-pool-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _spawn(self, k: int) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=run_member,
            args=(self.config, k, self.workers, self.cleanser, writer),
            name=f"mineguard-ingest-{k}",
            daemon=True,
        )
        process.start()
        writer.close()  # the child holds the only writer: its end closes when it dies, and we read EOF
        with self._lock:
            self._readers[k] = reader
        self._processes[k] = process

    @property
    def pids(self) -> list[int | None]:
        return [p.pid if p is not None else None for p in self._processes]

    def stop(self, timeout: float = 20.0) -> None:
        """Each process stops taking messages and stores what it holds (SIGTERM); then the pool's threads end."""
        self._stopping = True
        for process in self._processes:
            if process is not None and process.is_alive():
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self._processes:
            if process is not None:
                process.join(max(0.1, deadline - time.monotonic()))
                if process.is_alive():
                    log.error("ingest process %s did not stop in %g s; killing it", process.pid, timeout)
                    process.kill()
                    process.join(5)
        for thread in self._threads:
            thread.join(5)

    def wait_ready(self, timeout: float = 60.0, *, since: float = 0.0) -> bool:
        """True once every process reports it is in the shared subscription, confirmed by the broker at or
        after ``since`` (``time.time()``: pass the time of a broker restart to wait until all are back)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                times = [self._subscribed_at.get(k) for k in range(self.workers)]
            if all(t is not None and t >= since for t in times):
                return True
            time.sleep(0.05)
        return False

    def _supervise(self) -> None:
        while not self._stopping:
            for k, process in enumerate(self._processes):
                if process is not None and not process.is_alive() and not self._stopping:
                    log.error(
                        "ingest process %d (pid %s) died (exit %s); starting it again", k, process.pid, process.exitcode
                    )
                    self.restarts += 1
                    self._spawn(k)
            time.sleep(0.2)

    def _receive(self) -> None:
        """Read every process's pipe until the pool stops and all of them are closed."""
        while True:
            with self._lock:
                readers = dict(self._readers)
            if not readers:
                if self._stopping:
                    return
                time.sleep(0.05)
                continue
            for reader in wait(list(readers.values()), timeout=0.2):
                k = next(k for k, r in readers.items() if r is reader)
                try:
                    message = reader.recv()
                except (EOFError, OSError):  # the process ended (or was killed): the supervisor starts another
                    with self._lock:
                        if self._readers.get(k) is reader:
                            del self._readers[k]
                    reader.close()
                    continue
                self._handle(k, message)

    def _handle(self, k: int, message: tuple[str, Any]) -> None:
        kind, body = message
        if kind == "status":
            status, subscribed_at = body
            with self._lock:
                self._statuses[k], self._subscribed_at[k] = status, subscribed_at
            return
        columns, live, duplicates, rejected = body
        accepted = unpack_accepted(columns)
        report = IngestReport(accepted=accepted, duplicates=duplicates, live=live)
        with self._lock:
            self.totals.batches += 1
            self.totals.accepted += len(accepted)
            self.totals.duplicates += duplicates
            self.totals.rejected.update(rejected)
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:
                log.exception("ingest report handler failed for a batch of %d readings", len(accepted))

    def status(self) -> IngestStatus:
        """The processes' statuses together: waiting summed, the longest lag, the most failures in a row."""
        with self._lock:
            statuses = list(self._statuses.values())
            accepted = self.totals.accepted
        alive = all(p is not None and p.is_alive() for p in self._processes)
        lags = [s.lag_s for s in statuses if s.lag_s is not None]
        worst = max(statuses, key=lambda s: s.consecutive_failures, default=None)
        stored = [s.last_stored_at for s in statuses if s.last_stored_at is not None]
        return IngestStatus(
            running=alive and not self._stopping,
            waiting=sum(s.waiting for s in statuses),
            lag_s=max(lags) if lags else None,
            consecutive_failures=worst.consecutive_failures if worst else 0,
            last_error=worst.last_error if worst else None,
            last_stored_at=max(stored) if stored else None,
            accepted=accepted,
        )


def build_member(
    config: PoolConfig,
    k: int,
    workers: int,
    sessions: Any,
    cleanser: Cleanser | None,
    on_report: Callable[[IngestReport], None] | None,
) -> tuple[Any, IngestWorker]:
    """Process ``k``'s transport (not started) and ingest worker (not started), as :func:`run_member` runs them."""
    from mineguard.services.ingest.mqtt import MqttCommunicator

    patterns, accept = member_topics(config, k, workers)
    shared = config.partition == "share"
    bus = MqttCommunicator(
        config.host,
        config.port,
        username=config.username,
        password=config.password,
        client_id=f"{config.client_id}-{k}",
        share_group=config.share_group if shared else None,
        mqtt5=config.mqtt5 and shared,
        skip_devices=skipped_devices(config, k, workers),
    )
    worker = IngestWorker(
        bus,
        sessions,
        site_id=config.site_id,
        batch_size=config.batch_size,
        max_delay_ms=config.max_delay_ms,
        source="mqtt",
        max_skew_s=config.max_skew_s,
        on_report=on_report,
        cleanser=cleanser,
        patterns=patterns,
        accept=accept,
    )
    return bus, worker


def run_member(
    config: PoolConfig, k: int, workers: int, cleanser: Callable[[], Cleanser] | None, outbox: Connection
) -> None:
    """One worker process: its engine, its shared-subscription member, its worker; until SIGTERM or the parent goes."""
    from mineguard.services.storage.db import make_engine, session_factory

    logging.basicConfig(level=logging.WARNING, format=f"%(asctime)s ingest-{k} %(levelname)s %(name)s: %(message)s")
    stopping, sending = threading.Event(), threading.Lock()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    engine = make_engine(config.database_url)

    def send(message: tuple[str, Any]) -> None:
        with sending:  # the worker thread and the main thread both write to the one pipe
            outbox.send(message)

    def forward(report: IngestReport) -> None:
        rejected: dict[str, int] = {}
        for rejection in report.rejections:
            rejected[rejection.reason.value] = rejected.get(rejection.reason.value, 0) + 1
        send(("report", (pack_accepted(report.accepted), report.live, report.duplicates, rejected)))

    bus, worker = build_member(
        config, k, workers, session_factory(engine), cleanser() if cleanser is not None else None, forward
    )
    patterns = worker.patterns
    parent = os.getppid()
    worker.start()
    bus.start(timeout=60)
    if patterns:
        bus.subscribed.wait(30)  # subscribed before we say we run: the pool's wait_ready means "taking messages"
    try:
        while os.getppid() == parent:
            subscribed_at = bus.subscribed_at if patterns else time.time()  # no device of its own: nothing to wait for
            send(("status", (worker.status(), subscribed_at)))
            if stopping.wait(config.status_every_s):
                break
    finally:
        bus.stop()  # stop taking messages, then store what is buffered
        worker.stop()
        engine.dispose()
        outbox.close()
