"""A paho-mqtt client with a cheaper receive path for the ingest processes (issue 21, "Throughput").

The profile of one ingest process (``benchmarks/profile_ingest_mqtt.py``, ``docs/results/platform.md``) showed
paho's receive loop doing, for every message, one ``select`` and three or more ``recv`` calls (the command
byte, each byte of the remaining length, then the body), and process 0 of a device-partitioned pool decoding
every other partition's message in full only to acknowledge it. :class:`IngestClient` changes three things,
all below paho's public API:

- **buffered reads**: ``_sock_recv`` reads up to :data:`READ_SIZE` bytes from the socket at once and hands paho
  what it asks for from that buffer, and ``_packet_read`` goes on reading packets while the buffer holds bytes
  (paho would otherwise wait in ``select`` for a socket that has nothing more to say: the rest is ours);
- **skipped devices**: a QoS 1 PUBLISH whose topic's device level is in ``skip_devices`` is acknowledged
  from the raw packet (topic and packet id only) without building a message or calling a callback — the
  device's owner has its own subscription to it (``pool.py``);
- **batched acknowledgements**: :meth:`ack_many` queues the PUBACKs of many packet ids as one write.

These lean on paho internals (``_sock``, ``_sock_recv``, ``_packet_read``, ``_handle_publish``, ``_in_packet``,
``_packet_queue``): ``pyproject.toml`` pins paho-mqtt to the version they were written against, and
``tests/services/ingest/test_paho_client.py`` fails when the source of those internals changes.
"""

from __future__ import annotations

import struct

import paho.mqtt.client as mqtt

READ_SIZE = 65536  # bytes per recv: a few hundred readings of ~150 bytes each
_PUBACK = struct.Struct("!BBH")


class IngestClient(mqtt.Client):
    """``mqtt.Client`` with buffered socket reads, raw acknowledgement of ``skip_devices`` and :meth:`ack_many`."""

    def __init__(self, *args, skip_devices: frozenset[str] = frozenset(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skip_devices = frozenset(device.encode() for device in skip_devices)
        self.skipped = 0  # PUBLISH packets acknowledged unread for another process
        self._buffered_for = None  # the socket self._buffer was read from
        self._buffer = b""
        self._buffer_pos = 0
        self._skipped_mids: list[int] = []  # acknowledged together at the end of a read

    # --- buffered reads
    def _sock_recv(self, bufsize: int) -> bytes:
        sock = self._sock
        if sock is not self._buffered_for:  # a new connection: what was left of the old one is void
            self._buffered_for, self._buffer, self._buffer_pos = sock, b"", 0
        if self._buffer_pos >= len(self._buffer):
            data = super()._sock_recv(READ_SIZE)  # raises BlockingIOError when nothing is there; b"" at EOF
            if len(data) <= bufsize:
                return data
            self._buffer, self._buffer_pos = data, 0
        start = self._buffer_pos
        self._buffer_pos = end = min(start + bufsize, len(self._buffer))
        return self._buffer[start:end]

    def buffered(self) -> int:
        """Bytes read from the socket that paho has not taken yet."""
        return len(self._buffer) - self._buffer_pos if self._sock is self._buffered_for else 0

    def _packet_read(self) -> mqtt.MQTTErrorCode:
        rc = super()._packet_read()
        # select() will not wake for bytes already in our buffer: read on until it is empty (a packet cut at
        # the buffer's end is completed by the next recv, or waits in _in_packet for select as paho's would)
        while rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN) and self.buffered() and self._sock is not None:
            rc = super()._packet_read()
        if self._skipped_mids:
            mids, self._skipped_mids = self._skipped_mids, []
            self._queue_pubacks(mids)
        return rc

    # --- other processes' devices
    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        if self.skip_devices and (command & 0x06) == 0x02 and len(packet) >= 2:  # QoS 1
            length = (packet[0] << 8) | packet[1]
            if len(packet) >= 4 + length:
                levels = bytes(packet[2 : 2 + length]).split(b"/")
                if len(levels) == 4 and levels[2] in self.skip_devices:
                    self.skipped += 1
                    self._skipped_mids.append((packet[2 + length] << 8) | packet[3 + length])
                    return mqtt.MQTT_ERR_SUCCESS
        return super()._handle_publish()

    # --- acknowledgements
    def ack_many(self, mids: list[int]) -> mqtt.MQTTErrorCode:
        """PUBACK every QoS 1 packet id in ``mids`` with one queued write (paho queues one packet each); as
        :meth:`ack`, only with ``manual_ack``."""
        return self._queue_pubacks(mids) if self._manual_ack else mqtt.MQTT_ERR_SUCCESS

    def _queue_pubacks(self, mids: list[int]) -> mqtt.MQTTErrorCode:
        if not mids:
            return mqtt.MQTT_ERR_SUCCESS
        if len(mids) == 1:
            return self._send_puback(mids[0])
        packet = b"".join([_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids])
        return self._packet_queue(mqtt.PUBACK, packet, 0, 1)
