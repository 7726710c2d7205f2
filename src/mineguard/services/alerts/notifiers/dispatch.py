"""Deliver notices without ever blocking the alert path.

:meth:`Dispatcher.submit` only files the notice in each interested notifier's lane and returns.
Each lane has its own bounded queue and worker thread, so a hung SMTP server does not hold up the
webhook. A failed delivery is logged with its reason and retried with exponential backoff
(``backoff_s``, 2×, 4×, …); after the last try it is logged as an error. When a lane's queue is
full the oldest info/warning notice is dropped (and logged); critical and emergency notices are
never dropped. Every outcome, drops included, goes to :attr:`Dispatcher.results` and ``on_result``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts.notifiers.base import DeliveryResult, Notice, Notifier

log = logging.getLogger(__name__)
DROPPABLE = (Severity.INFO, Severity.WARNING)
ResultCallback = Callable[[str, int, DeliveryResult], Any]


class _Lane:
    """One notifier's queue and worker thread."""

    def __init__(self, dispatcher: Dispatcher, notifier: Notifier) -> None:
        self.dispatcher, self.notifier = dispatcher, notifier
        self.queue: deque[Notice] = deque()
        self.busy = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name=f"notifier-{notifier.name}", daemon=True)

    def put(self, notice: Notice) -> None:
        dropped: Notice | None = None
        with self.cond:
            if len(self.queue) >= self.dispatcher.max_queue:
                dropped = next((n for n in self.queue if Severity(n.severity) in DROPPABLE), None)
                if dropped is not None:
                    self.queue.remove(dropped)
                elif Severity(notice.severity) in DROPPABLE:
                    dropped = notice
            if dropped is not notice:
                self.queue.append(notice)
            self.cond.notify_all()
        if dropped is not None:
            log.warning(
                "notifier %s: queue full (%d) — dropped %s notice of alert %s (%s)",
                self.notifier.name,
                self.dispatcher.max_queue,
                dropped.severity,
                dropped.alert_id,
                dropped.kind,
            )
            self.dispatcher._record(self.notifier.name, dropped, DeliveryResult(False, "dropped: queue full", 0))

    def idle(self) -> bool:
        return not self.queue and not self.busy

    def _run(self) -> None:
        stop = self.dispatcher._stopping
        while True:
            with self.cond:
                while not self.queue and not stop.is_set():
                    self.cond.wait()
                if stop.is_set():
                    return
                notice = self.queue.popleft()
                self.busy = True
            try:
                self.dispatcher._deliver(self.notifier, notice)
            finally:
                with self.cond:
                    self.busy = False
                    self.cond.notify_all()


class Dispatcher:
    """Background delivery of notices to notifiers, retried, logged and recorded.

    ``retries`` is the number of tries in all (the first included); the waits between them are
    ``backoff_s``, ``2 * backoff_s``, … ``timeout_s`` is each try's network/process timeout.
    """

    def __init__(
        self,
        notifiers: Iterable[Notifier],
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        max_queue: int = 1000,
        on_result: ResultCallback | None = None,
    ) -> None:
        if retries < 1:
            raise ValueError("retries counts tries in all and must be at least 1")
        self.retries, self.backoff_s, self.timeout_s, self.max_queue = retries, backoff_s, timeout_s, max_queue
        self.on_result = on_result
        self.results: list[tuple[str, int, DeliveryResult]] = []
        self._results_lock = threading.Lock()
        self._stopping = threading.Event()
        self._lanes = [_Lane(self, notifier) for notifier in notifiers]
        for lane in self._lanes:
            lane.thread.start()

    @property
    def notifiers(self) -> list[Notifier]:
        return [lane.notifier for lane in self._lanes]

    def submit(self, notice: Notice) -> int:
        """File the notice for every notifier that wants it; returns how many. Never blocks on delivery."""
        if self._stopping.is_set():
            log.error("dispatcher stopped — notice of alert %s (%s) not delivered", notice.alert_id, notice.kind)
            return 0
        lanes = []
        for lane in self._lanes:
            try:
                if lane.notifier.wants(notice):
                    lanes.append(lane)
            except Exception:  # a broken filter must not break the alert path
                log.exception("notifier %s: filter failed for alert %s", lane.notifier.name, notice.alert_id)
        for lane in lanes:
            lane.put(notice)
        return len(lanes)

    def submit_change(self, change: Any, t: datetime) -> int:
        """:meth:`submit` for an :class:`~mineguard.services.alerts.book.AlertChange`."""
        return self.submit(Notice.from_change(change, t))

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued notice is delivered or given up; False if ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for lane in self._lanes:
            with lane.cond:
                while not lane.idle() and not self._stopping.is_set():
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    lane.cond.wait(left)
        return True

    def stop(self, timeout: float = 5.0) -> bool:
        """Deliver what is queued (up to ``timeout``), then stop the workers; True if all was delivered."""
        drained = self.drain(timeout)
        self._stopping.set()
        for lane in self._lanes:
            with lane.cond:
                left = len(lane.queue)
                lane.queue.clear()
                lane.cond.notify_all()
            if left:
                log.error("notifier %s: stopped with %d notice(s) undelivered", lane.notifier.name, left)
        for lane in self._lanes:
            lane.thread.join(timeout=0.5)
        return drained

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _deliver(self, notifier: Notifier, notice: Notice) -> None:
        result = DeliveryResult(ok=False, detail="not tried", attempts=0)
        for attempt in range(1, self.retries + 1):
            try:
                result = notifier.send(notice, timeout_s=self.timeout_s)
            except Exception as exc:
                result = DeliveryResult(ok=False, detail=f"{type(exc).__name__}: {exc}")
            result = replace(result, attempts=attempt)
            if result.ok or result.skipped:
                break
            if attempt < self.retries:
                delay = self.backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "notifier %s: alert %s (%s) try %d/%d failed: %s — retrying in %.1fs",
                    notifier.name,
                    notice.alert_id,
                    notice.kind,
                    attempt,
                    self.retries,
                    result.detail,
                    delay,
                )
                if self._stopping.wait(delay):
                    break
            else:
                log.error(
                    "notifier %s: alert %s (%s) not delivered after %d tries: %s",
                    notifier.name,
                    notice.alert_id,
                    notice.kind,
                    attempt,
                    result.detail,
                )
        self._record(notifier.name, notice, result)

    def _record(self, name: str, notice: Notice, result: DeliveryResult) -> None:
        with self._results_lock:
            self.results.append((name, notice.alert_id, result))
        if self.on_result is not None:
            try:
                self.on_result(name, notice.alert_id, result)
            except Exception:
                log.exception("on_result failed for notifier %s, alert %s", name, notice.alert_id)
