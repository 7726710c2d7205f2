"""The ingest paho client's receive path on a socket pair (no broker): buffered reads, skipped devices
acknowledged unread, batched PUBACKs; and a guard that fails when the paho internals it overrides change."""

from __future__ import annotations

import hashlib
import inspect
import socket
import struct

import paho.mqtt
import paho.mqtt.client as mqtt
import pytest

from mineguard.services.ingest.paho_client import IngestClient

# the sources of the paho methods IngestClient overrides or calls (paho-mqtt 2.2.0): when one changes, re-read it
# against paho_client.py, then update the fingerprint here and the pin in pyproject.toml
PAHO_VERSION = "2.2.0"
FINGERPRINTS = {
    "_sock_recv": "c3b9043a46dd81b7",
    "_packet_read": "bbe32d8af1e37955",
    "_handle_publish": "1bbaa3ef0e3afc6d",
    "_packet_queue": "e298fa9ab31e5f79",
    "_send_puback": "bb015cefb632f942",
    "_send_command_with_mid": "1a771678b66dc9e4",
    "loop_read": "4fa11ca2d451dbec",
}


def _publish(topic: str, mid: int, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH packet (MQTT 3.1.1)."""
    body = struct.pack("!H", len(topic)) + topic.encode() + struct.pack("!H", mid) + payload
    assert len(body) < 128
    return bytes([0x32, len(body)]) + body


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client = IngestClient(
        mqtt.CallbackAPIVersion.VERSION2, client_id="t", manual_ack=True, skip_devices=frozenset({"other"})
    )
    got: list[tuple[str, bytes, int]] = []
    client.on_message = lambda _c, _u, message: got.append((message.topic, message.payload, message.mid))
    client._sock = ours
    yield client, theirs, got
    client._sock = None
    ours.close()
    theirs.close()


def _written(client: IngestClient, peer: socket.socket) -> bytes:
    client._packet_write()
    return peer.recv(65536)


def test_paho_internals_are_the_ones_the_client_was_written_against() -> None:
    assert paho.mqtt.__version__ == PAHO_VERSION, "paho-mqtt changed: re-check paho_client.py against it"
    for name, fingerprint in FINGERPRINTS.items():
        source = inspect.getsource(getattr(mqtt.Client, name))
        assert hashlib.sha256(source.encode()).hexdigest()[:16] == fingerprint, f"paho's Client.{name} changed"


def test_many_packets_in_one_read_are_all_handled_and_a_cut_one_waits(pair) -> None:
    client, peer, got = pair
    packets = [_publish(f"mineguard/s/d{i}/methane", i + 1, b"%d" % i) for i in range(5)]
    peer.sendall(b"".join(packets) + packets[0][:7])  # five whole packets and the start of a sixth
    assert client._packet_read() == mqtt.MQTT_ERR_AGAIN  # one call handles all that was read
    assert [(t, p, m) for t, p, m in got] == [(f"mineguard/s/d{i}/methane", b"%d" % i, i + 1) for i in range(5)]
    peer.sendall(packets[0][7:])
    client._packet_read()
    assert len(got) == 6 and got[-1] == got[0]
    assert client.buffered() == 0


def test_a_new_connection_drops_what_was_buffered_from_the_old_one(pair) -> None:
    client, peer, _ = pair
    with pytest.raises(BlockingIOError):  # nothing there yet: paho's signal to wait in select
        client._sock_recv(1)
    peer.sendall(_publish("mineguard/s/d/methane", 1, b"x") * 2)
    assert client._sock_recv(1) == b"\x32" and client.buffered() > 0
    client._sock = socket.socket()  # as after a reconnect
    try:
        assert client.buffered() == 0
    finally:
        client._sock.close()
        client._sock = None


def test_skipped_devices_are_acknowledged_unread_in_one_write(pair) -> None:
    client, peer, got = pair
    peer.sendall(
        _publish("mineguard/s/other/methane", 7, b"a")
        + _publish("mineguard/s/mine/methane", 8, b"b")
        + _publish("mineguard/s/other/co", 9, b"c")
    )
    client._packet_read()
    assert [m for _, _, m in got] == [8]  # only our device reaches the callback
    assert client.skipped == 2
    assert _written(client, peer) == b"\x40\x02\x00\x07\x40\x02\x00\x09"  # the other two PUBACKed, ours not yet


def test_ack_many_sends_every_puback_at_once(pair) -> None:
    client, peer, _ = pair
    client.ack_many([1, 2, 300])
    assert _written(client, peer) == b"\x40\x02\x00\x01\x40\x02\x00\x02\x40\x02\x01\x2c"
    client.ack_many([])
    client.manual_ack_set(False)  # paho acknowledged them itself: nothing to send
    client.ack_many([4])
    assert client._out_packet == type(client._out_packet)()
