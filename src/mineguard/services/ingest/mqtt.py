"""MQTT transport (paho-mqtt) behind the :class:`~.bus.Communicator` ABC, for production brokers.

Delivery is at least once end to end:
- publishers send with QoS 1; paho keeps each message until the broker's PUBACK and resends it
  after a reconnect;
- the subscriber uses a persistent session (fixed ``client_id``, ``clean_session=False``) and
  QoS 1 subscriptions, so the broker queues messages while the service is down;
- acknowledgements are manual: with :meth:`subscribe_acked` a message is PUBACKed only when the
  handler calls ``ack()`` (the ingest worker does so after its database commit), so a service
  killed mid-stream gets every unstored message again; ingestion is idempotent on
  ``(device_id, seq)``, so a redelivery is stored once.

Several ingest worker processes split one stream with an MQTT 5 shared subscription
(``share_group``): each subscribes to ``$share/<group>/<pattern>`` with its own persistent session,
the broker hands each message to one member of the group, and a member's un-acknowledged messages
stay in its session until it comes back (a worker killed mid-batch gets them again on restart).

paho's network thread reconnects on its own (backoff ``reconnect_min_s`` .. ``reconnect_max_s``)
and the subscriptions are renewed on every connect, so a broker restart is survived. With a plain
subscription nothing is lost over it: the broker restores the subscription from its persistence
file and queues for it until we are back. A ``$share`` subscription is not restored by Mosquitto
(2.0.11 at least): what gateways publish between the broker's start and our SUBSCRIBE matches no
subscription and is dropped by the broker (see :mod:`.pool`). ``subscribed_at`` says when the
subscription was last confirmed, and a reconnect in a share group logs a WARNING saying so.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Sequence

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mineguard.services.ingest.bus import Ack, AckedHandler, Communicator, Handler, check_pattern, topic_matches
from mineguard.services.ingest.paho_client import IngestClient
from mineguard.services.ingest.schema import ID_PATTERN

log = logging.getLogger(__name__)


class MqttError(RuntimeError):
    """The broker cannot be reached or refused us; the message says which and how to fix it."""


class MqttCommunicator(Communicator):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        client_id: str | None = None,
        qos: int = 1,
        keepalive_s: int = 30,
        username: str | None = None,
        password: str | None = None,
        reconnect_min_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        max_inflight: int = 20,
        share_group: str | None = None,
        mqtt5: bool = True,
        session_expiry_s: int = 30 * 86_400,
        skip_devices: frozenset[str] = frozenset(),
    ) -> None:
        """``skip_devices``: devices whose readings this subscriber acknowledges unread (another process of the
        pool owns them and has its own subscription; see :class:`~.paho_client.IngestClient`)."""
        self.host, self.port, self.qos, self.share_group = host, port, qos, share_group
        persistent = client_id is not None
        self.client_id = client_id or f"mineguard-{uuid.uuid4().hex[:12]}"
        if share_group is not None and not re.fullmatch(ID_PATTERN, share_group):
            raise MqttError(f"share group {share_group!r} must be one topic level: letters, digits, '_', '.', '-'")
        if share_group is None or not mqtt5:  # MQTT 3.1.1 (Mosquitto takes $share subscriptions on it too)
            self._client = IngestClient(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                clean_session=not persistent,
                manual_ack=True,
                skip_devices=skip_devices,
            )
            self._connect_kw: dict = {}
        else:  # shared subscriptions are MQTT 5: the session is kept by clean_start False and an expiry
            self._client = IngestClient(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                protocol=mqtt.MQTTv5,
                manual_ack=True,
                skip_devices=skip_devices,
            )
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = session_expiry_s if persistent else 0
            self._connect_kw = {"clean_start": not persistent, "properties": properties}
        if username:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(max(1, round(reconnect_min_s)), max(1, round(reconnect_max_s)))
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._client.max_inflight_messages_set(max_inflight)  # our QoS 1 publishes awaiting the broker's PUBACK
        self.subscribed = threading.Event()  # the broker confirmed a subscription (SUBACK) on this connection
        self.subscribed_at: float | None = None  # when (time.time()) it did; None while not connected
        self._keepalive = keepalive_s
        self._subscriptions: list[tuple[str, AckedHandler]] = []
        self._handlers_for: dict[str, list[AckedHandler]] = {}  # topic -> its handlers, matched once per topic
        self._pending: list[mqtt.MQTTMessageInfo] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.connects = 0

    # --- Communicator
    def start(self, timeout: float = 10.0) -> None:
        try:
            self._client.connect_async(self.host, self.port, keepalive=self._keepalive, **self._connect_kw)
        except (OSError, ValueError) as exc:
            raise MqttError(f"cannot reach MQTT broker {self.host}:{self.port} ({exc})") from None
        self._client.loop_start()
        if not self._connected.wait(timeout):
            self._client.loop_stop()
            raise MqttError(
                f"no MQTT broker answered at {self.host}:{self.port} within {timeout:g} s — start "
                "mosquitto or set the broker address"
            )

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    def publish(self, topic: str, payload: bytes) -> None:
        info = self._client.publish(topic, payload, qos=self.qos)
        if self.qos:
            with self._lock:
                self._pending.append(info)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):  # NO_CONN: queued, sent on reconnect
            raise MqttError(f"publish on {topic} failed: {mqtt.error_string(info.rc)}")

    def subscribe(self, pattern: str, handler: Handler) -> None:
        def acking(topic: str, payload: bytes, ack) -> None:
            handler(topic, payload)
            ack()

        self.subscribe_acked(pattern, acking)

    def subscribe_acked(self, pattern: str, handler: AckedHandler) -> None:
        check_pattern(pattern)
        with self._lock:
            self._subscriptions.append((pattern, handler))
            self._handlers_for = {}
        if self._connected.is_set():
            self._client.subscribe(self._filter(pattern), qos=self.qos)

    def _filter(self, pattern: str) -> str:
        """What we subscribe to for ``pattern``: itself, or ``$share/<group>/<pattern>`` in a share group."""
        return pattern if self.share_group is None else f"$share/{self.share_group}/{pattern}"

    # --- state
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def wait_published(self, timeout: float = 10.0) -> bool:
        """True once every QoS 1 message handed to :meth:`publish` has been PUBACKed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                self._pending = [info for info in self._pending if not _is_published(info)]
                if not self._pending:
                    return True
            time.sleep(0.02)
        return False

    # --- paho callbacks (network thread)
    def _on_connect(self, client: mqtt.Client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT broker %s:%d refused the connection: %s", self.host, self.port, reason_code)
            return
        self.connects += 1
        with self._lock:
            patterns = sorted({pattern for pattern, _ in self._subscriptions})
        if patterns:  # one SUBSCRIBE, so one SUBACK says every one of them is in place
            client.subscribe([(self._filter(pattern), self.qos) for pattern in patterns])
        self._connected.set()
        log.info("MQTT connected to %s:%d (connection %d)", self.host, self.port, self.connects)
        if self.share_group is not None and self.connects > 1:
            log.warning(
                "MQTT reconnected to %s:%d in share group %s: if the broker restarted, it forgot the $share "
                "subscription, and readings gateways published before it is renewed now were dropped by the broker",
                self.host,
                self.port,
                self.share_group,
            )

    def _on_subscribe(self, _client, _userdata, _mid, _reason_codes, _properties) -> None:
        self.subscribed_at = time.time()
        self.subscribed.set()

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self._connected.clear()
        self.subscribed.clear()
        self.subscribed_at = None
        if reason_code != 0:
            log.warning("MQTT connection to %s:%d lost (%s); reconnecting", self.host, self.port, reason_code)

    def _on_message(self, client: mqtt.Client, _userdata, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        handlers = self._handlers_for.get(topic)
        if handlers is None:
            handlers = self._handlers(topic)
        if not handlers:
            client.ack(message.mid, message.qos)
            return
        if len(handlers) == 1:
            ack: Ack = _Ack(client, message.mid, message.qos)
        else:  # acknowledged once every handler has
            ack = _counting_ack(client, message.mid, message.qos, len(handlers))
        for handler in handlers:
            try:
                handler(topic, message.payload, ack)
            except Exception:  # not acknowledged: the broker redelivers after a reconnect
                log.exception("MQTT handler failed on %s", topic)

    def _handlers(self, topic: str) -> list[AckedHandler]:
        with self._lock:
            handlers = [h for pattern, h in self._subscriptions if topic_matches(pattern, topic)]
            if len(self._handlers_for) >= 4096:  # a site has a bounded set of topics; garbage ones are not kept
                self._handlers_for = {}
            self._handlers_for[topic] = handlers
        return handlers

    def ack_all(self, acks: Sequence[Ack]) -> None:
        """One write of PUBACKs for the QoS 1 messages of this connection's client among ``acks``."""
        mids = [a.mid for a in acks if type(a) is _Ack and a.client is self._client and a.qos == 1]
        if len(mids) == len(acks):
            self._client.ack_many(mids)
            return
        for ack in acks:
            ack()


class _Ack:
    """Acknowledge one received message (its packet id on its client); :meth:`MqttCommunicator.ack_all` batches them."""

    __slots__ = ("client", "mid", "qos")

    def __init__(self, client: mqtt.Client, mid: int, qos: int) -> None:
        self.client, self.mid, self.qos = client, mid, qos

    def __call__(self) -> None:
        self.client.ack(self.mid, self.qos)


def _counting_ack(client: mqtt.Client, mid: int, qos: int, handlers: int) -> Ack:
    remaining = [handlers]
    lock = threading.Lock()

    def ack() -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                client.ack(mid, qos)

    return ack


def _is_published(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether the broker PUBACKed the message. One published while the connection was down keeps rc
    NO_CONN (``is_published`` raises on it for ever) although paho sends it after the reconnect and
    marks it published then: read that mark."""
    if info.rc in (mqtt.MQTT_ERR_NO_CONN, mqtt.MQTT_ERR_CONN_LOST):
        return bool(getattr(info, "_published", False))
    return info.is_published()
