"""Kill the service mid-stream (SIGKILL) and start it again: every reading the gateway published
ends up in the database exactly once (MQTT persistent session + acks after commit + idempotent
storage)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from local_broker import BrokerUnavailable, local_broker
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.services.storage.models import SensorReading

SITE, DEVICE, N = "sample-coal-mine", "ch4-1101-t", 1500


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "mineguard", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"service did not start: {process.stderr.read()}")


@pytest.mark.slow
def test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    try:
        broker_cm = local_broker()
        broker = broker_cm.__enter__()
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))
    db = tmp_path / "restart.db"
    env = {**os.environ, "MINEGUARD_DATABASE_URL": f"sqlite:///{db}", "MINEGUARD_ADMIN_PASSWORD": "admin-password"}
    env |= {"MINEGUARD_MQTT_URL": f"mqtt://{broker.host}:{broker.port}", "MINEGUARD_MQTT_CLIENT_ID": "mg-restart"}
    port = _free_port()
    engine = create_engine(f"sqlite:///{db}")

    def stored() -> int:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(SensorReading))

    gateway = MqttCommunicator(broker.host, broker.port, client_id="gateway-restart")
    server = _serve(env, port)
    try:
        gateway.start()
        start = datetime.now(UTC) - timedelta(minutes=5)

        def publish_all() -> None:
            for seq in range(N):
                payload = {
                    "device_id": DEVICE,
                    "kind": "methane",
                    "seq": seq,
                    "value": 0.3 + (seq % 7) / 100,
                    "unit": "%",
                    "t": (start + timedelta(milliseconds=100 * seq)).isoformat(),
                }
                gateway.publish(topic_for(SITE, DEVICE, "methane"), json.dumps(payload).encode())
                time.sleep(0.001)

        publisher = threading.Thread(target=publish_all)
        publisher.start()
        deadline = time.monotonic() + 30
        while stored() < N // 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.send_signal(signal.SIGKILL)  # mid-stream: no shutdown, no flush, no acks
        server.wait(10)
        killed_at = stored()
        assert 0 < killed_at < N, killed_at
        publisher.join(60)
        assert gateway.wait_published(30)
        server = _serve(env, port)
        deadline = time.monotonic() + 60
        while stored() < N and time.monotonic() < deadline:
            time.sleep(0.1)
        with engine.connect() as connection:
            seqs = list(connection.scalars(select(SensorReading.seq).where(SensorReading.device_id == DEVICE)))
        assert sorted(seqs) == list(range(N)), f"killed at {killed_at}; stored {len(seqs)} of {N}"
    finally:
        gateway.stop()
        if server.poll() is None:
            server.terminate()
            server.wait(20)
        engine.dispose()
        broker_cm.__exit__(None, None, None)
