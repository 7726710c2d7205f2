from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts.notifiers.base import DeliveryResult, Notice, Notifier
from mineguard.services.alerts.notifiers.config import parse_notifier_config
from mineguard.services.alerts.notifiers.dispatch import Dispatcher
from mineguard.services.alerts.notifiers.webhook import WebhookNotifier


def _webhook(url: str, **extra: object) -> WebhookNotifier:
    return WebhookNotifier(parse_notifier_config({"type": "webhook", "url": url, **extra}))


class Gate(Notifier):
    """A test notifier (not registered) that waits for ``gate`` before each delivery."""

    type = "gate"

    def __init__(self, **config: object) -> None:
        super().__init__(
            parse_notifier_config({"type": "webhook", "url": "http://127.0.0.1:9/", "name": "gate", **config})
        )
        self.gate = threading.Event()
        self.started = threading.Event()
        self.sent: list[Notice] = []

    def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
        self.started.set()
        self.gate.wait(5)
        self.sent.append(notice)
        return DeliveryResult(ok=True, detail="ok")


def test_retries_until_the_server_answers(http_server, notice, caplog) -> None:
    http_server.statuses = [503, 503, 200]
    seen = []
    with caplog.at_level(logging.WARNING, logger="mineguard.services.alerts.notifiers.dispatch"):
        dispatcher = Dispatcher(
            [_webhook(http_server.url)], retries=3, backoff_s=0.01, on_result=lambda *a: seen.append(a)
        )
        dispatcher.submit(notice)
        assert dispatcher.drain(5)
        dispatcher.stop()
    ((name, alert_id, result),) = dispatcher.results
    assert (name, alert_id, result.ok, result.attempts) == ("webhook", 7, True, 3)
    assert seen == dispatcher.results
    assert len(http_server.requests) == 3
    retries = [r.getMessage() for r in caplog.records]
    assert len(retries) == 2 and all("HTTP 503" in m and "retrying" in m for m in retries)


def test_gives_up_after_the_last_try_with_an_error(http_server, notice, caplog) -> None:
    http_server.statuses = [500]
    with (
        caplog.at_level(logging.WARNING, logger="mineguard.services.alerts.notifiers.dispatch"),
        Dispatcher([_webhook(http_server.url)], retries=3, backoff_s=0.01) as dispatcher,
    ):
        dispatcher.submit(notice)
        assert dispatcher.drain(5)
    ((_, _, result),) = dispatcher.results
    assert not result.ok and result.attempts == 3 and "HTTP 500" in result.detail
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "not delivered after 3 tries" in errors[0].getMessage()
    assert len(http_server.requests) == 3


def test_backoff_doubles(http_server, notice) -> None:
    http_server.statuses = [500]
    with Dispatcher([_webhook(http_server.url)], retries=3, backoff_s=0.1) as dispatcher:
        start = time.monotonic()
        dispatcher.submit(notice)
        assert dispatcher.drain(5)
        elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 2.0  # 0.1 + 0.2 between three tries


def test_a_hung_server_never_blocks_submit(http_server, notice) -> None:
    http_server.hang_s = 5
    with Dispatcher([_webhook(http_server.url)], retries=2, backoff_s=0.01, timeout_s=0.3) as dispatcher:
        start = time.monotonic()
        for i in range(20):
            dispatcher.submit(replace(notice, alert_id=i))
        assert time.monotonic() - start < 0.1
        assert not dispatcher.drain(0.2)  # still trying
        deadline = time.monotonic() + 3
        while not dispatcher.results and time.monotonic() < deadline:  # the first notice times out twice
            time.sleep(0.02)
        http_server.hang_s = 0
        http_server.release.set()
        assert dispatcher.drain(5)
    first = dispatcher.results[0][2]
    assert not first.ok and first.attempts == 2 and "Timeout" in first.detail
    assert len(dispatcher.results) == 20 and dispatcher.results[-1][2].ok


def test_filters_by_rung_severity_and_kind(http_server, notice) -> None:
    managers = _webhook(http_server.url, name="managers", rungs=["manager"], min_severity="critical")
    everyone = _webhook(http_server.url, name="everyone", kinds=["raised", "resolved"])
    with Dispatcher([managers, everyone], backoff_s=0.01) as dispatcher:
        assert dispatcher.submit(notice) == 1  # operator rung: not for managers
        assert dispatcher.submit(replace(notice, kind="escalated", rung="manager")) == 1  # kind not for everyone
        assert dispatcher.submit(replace(notice, kind="escalated", rung="manager", severity=Severity.WARNING)) == 0
        assert dispatcher.submit(replace(notice, kind="resolved", rung=None, severity=Severity.INFO)) == 0
        assert dispatcher.submit(replace(notice, kind="resolved", rung=None)) == 1
        assert dispatcher.drain(5)
    assert sorted((name, r.ok) for name, _, r in dispatcher.results) == [
        ("everyone", True),
        ("everyone", True),
        ("managers", True),
    ]


def test_full_queue_drops_oldest_low_severity_first_never_critical(notice, caplog) -> None:
    gate = Gate(min_severity="info")
    dispatcher = Dispatcher([gate], max_queue=3)
    dispatcher.submit(replace(notice, alert_id=0))  # taken by the worker, waiting at the gate
    assert gate.started.wait(2)
    with caplog.at_level(logging.WARNING):
        dispatcher.submit(replace(notice, alert_id=1, severity=Severity.WARNING))
        dispatcher.submit(replace(notice, alert_id=2, severity=Severity.CRITICAL))
        dispatcher.submit(replace(notice, alert_id=3, severity=Severity.INFO))
        dispatcher.submit(replace(notice, alert_id=4, severity=Severity.EMERGENCY))  # drops 1
        dispatcher.submit(replace(notice, alert_id=5, severity=Severity.CRITICAL))  # drops 3
        dispatcher.submit(replace(notice, alert_id=6, severity=Severity.WARNING))  # nothing older to drop: drops 6
        dispatcher.submit(replace(notice, alert_id=7, severity=Severity.EMERGENCY))  # kept, over the bound
    gate.gate.set()
    assert dispatcher.stop(timeout=5)
    assert [n.alert_id for n in gate.sent] == [0, 2, 4, 5, 7]
    dropped = [(alert_id, r.attempts) for _, alert_id, r in dispatcher.results if r.detail == "dropped: queue full"]
    assert dropped == [(1, 0), (3, 0), (6, 0)]
    assert sum("queue full" in r.getMessage() for r in caplog.records) == 3


def test_exceptions_and_broken_callbacks_are_contained(notice, caplog) -> None:
    class Boom(Gate):
        def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
            raise RuntimeError("disk on fire")

    def callback(*args: object) -> None:
        raise ValueError("store is down")

    with Dispatcher([Boom()], retries=2, backoff_s=0.01, on_result=callback) as dispatcher:
        dispatcher.submit(notice)
        assert dispatcher.drain(5)
    ((_, _, result),) = dispatcher.results
    assert result.attempts == 2 and result.detail == "RuntimeError: disk on fire"
    assert any("on_result failed" in r.getMessage() for r in caplog.records)


def test_submit_after_stop_is_logged_not_raised(notice, caplog) -> None:
    dispatcher = Dispatcher([Gate()])
    dispatcher.stop()
    assert dispatcher.submit(notice) == 0
    assert "dispatcher stopped" in caplog.text
