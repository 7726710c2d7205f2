"""Pick the transport from the settings: MQTT when ``MINEGUARD_MQTT_URL`` is set, else the
in-process bus (the embedded default, no broker to install)."""

from __future__ import annotations

from urllib.parse import urlparse

from mineguard.services.ingest.bus import Communicator, InProcessBus


class TransportConfigError(ValueError):
    """The broker URL cannot be used; the message shows the expected form."""


def mqtt_address(mqtt_url: str) -> dict:
    """``host``, ``port``, ``username``, ``password`` of an ``mqtt://`` URL."""
    parsed = urlparse(mqtt_url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise TransportConfigError(
            f"MQTT URL {mqtt_url!r} is not valid — use mqtt://host:1883 (or mqtt://user:password@host:1883)"
        )
    return {
        "host": parsed.hostname,
        "port": parsed.port or 1883,
        "username": parsed.username,
        "password": parsed.password,
    }


def make_transport(mqtt_url: str | None, *, client_id: str | None) -> Communicator:
    """The in-process bus, or an MQTT client; ``client_id`` None: a clean session that the broker forgets
    (for a process that only publishes or watches the connection, never a subscriber that must not miss)."""
    if not mqtt_url:
        return InProcessBus()
    from mineguard.services.ingest.mqtt import MqttCommunicator

    return MqttCommunicator(**mqtt_address(mqtt_url), client_id=client_id)
