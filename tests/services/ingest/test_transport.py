"""The transport follows the settings: in-process bus by default, MQTT for an mqtt:// URL."""

from __future__ import annotations

import pytest

from mineguard.services.ingest.bus import InProcessBus
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.services.ingest.transport import TransportConfigError, make_transport


def test_default_is_the_in_process_bus() -> None:
    assert isinstance(make_transport(None, client_id="x"), InProcessBus)


def test_mqtt_url_with_credentials() -> None:
    transport = make_transport("mqtt://ingest:secret@127.0.0.1:1884", client_id="mineguard-ingest")
    assert isinstance(transport, MqttCommunicator)
    assert (transport.host, transport.port, transport.client_id) == ("127.0.0.1", 1884, "mineguard-ingest")


@pytest.mark.parametrize("url", ["http://127.0.0.1:1883", "mqtt://", "127.0.0.1:1883"])
def test_bad_mqtt_url(url: str) -> None:
    with pytest.raises(TransportConfigError, match=r"use mqtt://host:1883"):
        make_transport(url, client_id="x")
