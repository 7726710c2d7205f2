"""Does the MQTT broker keep what it queues for us while the service is down? Ask it at start.

The "loses nothing" guarantee of the MQTT transport (see :mod:`.mqtt`) holds only when the broker
keeps a persistent session's queue without a small limit. A stock Mosquitto keeps 1,000 messages
per client and silently drops the rest, so a service stopped for a few seconds during a fast
stream loses readings. :func:`probe_broker` tells by trying: a probe client with a persistent
session subscribes (QoS 1) to a private topic and disconnects; ``messages + 1`` messages are
published; the probe reconnects, an end marker is published behind them, and the probe counts
what the broker kept until the marker arrives (MQTT keeps one publisher's QoS 1 messages to a
subscriber in order, so nothing kept can come after it). Fewer than were sent, or no
session on the reconnect (``session_present`` 0), means the broker loses queued readings; the
WARNING names the setting and :data:`SHIPPED_CONFIG`, the broker settings we ship.

:class:`StartupCheck` runs the probe as the service starts (``MINEGUARD_MQTT_CHECK``): ``warn``
in the background (never delays or blocks start), ``strict`` before start (refuses to start
unless the broker is shown fine), ``off`` not at all.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

SHIPPED_CONFIG = Path(__file__).with_name("mosquitto.conf")
CheckMode = Literal["warn", "strict", "off"]
END_MARKER = b"end"  # published after the probe reconnects: everything the broker kept comes before it


class BrokerCheckFailed(RuntimeError):
    """``MINEGUARD_MQTT_CHECK=strict`` and the broker was not shown to keep our queue."""


@dataclass(frozen=True)
class BrokerCheck:
    """``status``: ok | warning (the broker loses queued messages) | unknown (could not tell) | pending | off."""

    status: str
    sent: int = 0
    received: int = 0
    session_present: bool | None = None
    problems: tuple[str, ...] = ()
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "problems": list(self.problems), "config": str(SHIPPED_CONFIG)}


class _Client:
    """One paho connection with events for CONNACK, SUBACK and a message count."""

    def __init__(
        self, host: str, port: int, client_id: str, *, clean: bool, username: str | None, password: str | None
    ) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
        if username:
            self.client.username_pw_set(username, password)
        self.host, self.port = host, port
        self.connected, self.subscribed, self.ended = threading.Event(), threading.Event(), threading.Event()
        self.refused: str | None = None
        self.session_present = False
        self.granted: list = []
        self.received = 0
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def open(self, deadline: float) -> bool:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        return self.connected.wait(max(0.0, deadline - time.monotonic())) and self.refused is None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, _client, _userdata, flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self.refused = str(reason_code)
        self.session_present = bool(flags.session_present)
        self.connected.set()

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _properties) -> None:
        self.granted = list(reason_codes)
        self.subscribed.set()

    def _on_message(self, _client, _userdata, message) -> None:
        if message.payload == END_MARKER:
            self.ended.set()
        else:
            self.received += 1


def probe_broker(
    host: str,
    port: int,
    *,
    username: str | None = None,
    password: str | None = None,
    messages: int = 1000,
    timeout_s: float = 5.0,
) -> BrokerCheck:
    """Publish ``messages + 1`` QoS 1 messages to a disconnected persistent session and count what comes back.

    Bounded by ``timeout_s`` in all; the probe's session is removed from the broker afterwards.
    """
    start = time.monotonic()
    deadline = start + timeout_s
    probe_id = f"mineguard-probe-{uuid.uuid4().hex[:12]}"
    topic, sent = f"mineguard-probe/{probe_id}", messages + 1
    auth = {"username": username, "password": password}

    def unknown(problem: str) -> BrokerCheck:
        return BrokerCheck("unknown", problems=(problem,), seconds=round(time.monotonic() - start, 3))

    away = _Client(host, port, probe_id, clean=False, **auth)
    publisher = _Client(host, port, f"{probe_id}-pub", clean=True, **auth)
    back = _Client(host, port, probe_id, clean=False, **auth)
    try:
        if not away.open(deadline):
            return unknown(f"cannot connect the probe to {host}:{port}: {away.refused or 'no answer'}")
        away.client.subscribe(topic, qos=1)
        if not away.subscribed.wait(max(0.0, deadline - time.monotonic())):
            return unknown(f"no SUBACK for the probe topic {topic} within {timeout_s:g} s")
        if any(code.is_failure for code in away.granted):
            return unknown(
                f"the broker refused the probe subscription to {topic} (ACL?) — allow it or set "
                "MINEGUARD_MQTT_CHECK=off"
            )
        away.close()
        if not publisher.open(deadline):
            return unknown(f"cannot connect the probe publisher: {publisher.refused or 'no answer'}")
        infos = [publisher.client.publish(topic, b"probe", qos=1) for _ in range(sent)]
        while not all(info.is_published() for info in infos):
            if time.monotonic() > deadline:
                return unknown(f"the broker did not acknowledge {sent} probe messages within {timeout_s:g} s")
            time.sleep(0.01)
        if not back.open(deadline):
            return unknown(f"cannot reconnect the probe: {back.refused or 'no answer'}")
        publisher.client.publish(topic, END_MARKER, qos=1)
        back.ended.wait(max(0.0, deadline - time.monotonic()))
    finally:
        for client in (away, publisher, back):
            client.close()
        _forget_session(host, port, probe_id, auth, time.monotonic() + 2.0)
    problems = []
    if not back.session_present:
        problems.append(
            "the broker did not keep the probe's persistent session across a reconnect "
            "(session_present=0): persistent sessions are off or expire at once — keep "
            f"persistence true and persistent_client_expiration long, as in {SHIPPED_CONFIG}"
        )
    if back.received < sent:
        problems.append(
            f"the broker kept only {back.received} of {sent} messages queued for a disconnected "
            "persistent session, so readings sent while the service is down are lost — set "
            f"max_queued_messages 0 (or a bound above your longest outage), as in {SHIPPED_CONFIG}"
        )
    return BrokerCheck(
        "warning" if problems else "ok",
        sent,
        back.received,
        back.session_present,
        tuple(problems),
        round(time.monotonic() - start, 3),
    )


def _forget_session(host: str, port: int, client_id: str, auth: dict, deadline: float) -> None:
    """Connect once with a clean session: the broker drops the probe's queue and subscription."""
    cleaner = _Client(host, port, client_id, clean=True, **auth)
    try:
        cleaner.open(deadline)
    finally:
        cleaner.close()


class StartupCheck:
    """The probe as the service runs it at start; :attr:`result` is what ``/api/v1/health`` shows."""

    def __init__(
        self,
        mode: CheckMode,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        messages: int = 1000,
        timeout_s: float = 5.0,
    ) -> None:
        self.mode = mode
        self._probe = lambda: probe_broker(
            host, port, username=username, password=password, messages=messages, timeout_s=timeout_s
        )
        self.result = BrokerCheck("off" if mode == "off" else "pending")
        self.done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """``strict``: probe now and raise :class:`BrokerCheckFailed` unless ok; ``warn``: probe in the background."""
        if self.mode == "off":
            self.done.set()
        elif self.mode == "strict":
            self._run()
            if self.result.status != "ok":
                raise BrokerCheckFailed(
                    "MINEGUARD_MQTT_CHECK=strict: the MQTT broker was not shown to keep our "
                    f"queue while the service is down: {'; '.join(self.result.problems)}"
                )
        else:
            self._thread = threading.Thread(target=self._run, name="mineguard-mqtt-check", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self._probe()
        except Exception as exc:  # the check must never take the service down in warn mode
            self.result = BrokerCheck("unknown", problems=(f"probe failed: {type(exc).__name__}: {exc}",))
        finally:
            self.done.set()
        if self.result.status == "ok":
            log.info(
                "MQTT broker check: ok (%d of %d queued probe messages kept across a reconnect, %.2f s)",
                self.result.received,
                self.result.sent,
                self.result.seconds,
            )
        else:
            for problem in self.result.problems:
                log.warning("MQTT broker check (%s): %s", self.result.status, problem)


def broker_health(check: StartupCheck | None) -> dict[str, Any]:
    """The ``mqtt`` part of ``/api/v1/health``."""
    if check is None:
        return {"transport": "bus", "check": "off"}
    return {"transport": "mqtt", "check": check.mode, **check.result.as_dict()}
