"""A throw-away Mosquitto broker on loopback (Debian ``mosquitto``), for tests, benchmarks and
trying the MQTT transport without setting a broker up.

It runs the shipped broker settings (:data:`mineguard.services.ingest.broker_check.SHIPPED_CONFIG`:
persistence on, no queue limit, ...) with only the port, folders and log file changed, so the tests
prove the file that production brokers are told to use. ``settings`` overrides single lines, e.g.
``{"max_queued_messages": "100"}`` for a stock-like broker that drops what it cannot queue.

A test helper, not part of the package (the shipped ``mosquitto.conf`` stays in
``mineguard/services/ingest/``): ``tests/support/`` is on ``sys.path`` through pytest's
``pythonpath`` option (pyproject.toml), so tests write ``from local_broker import ...``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mineguard.services.ingest.broker_check import SHIPPED_CONFIG

MOSQUITTO = "/usr/sbin/mosquitto"


class BrokerUnavailable(RuntimeError):
    """No mosquitto binary here, or it did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broker_config(text: str, settings: dict[str, str]) -> str:
    """``text`` (a mosquitto.conf) with the first line of each setting in ``settings`` replaced (or appended)."""
    lines, left = [], dict(settings)
    for line in text.splitlines():
        key = line.split(maxsplit=1)[0] if line.strip() and not line.lstrip().startswith("#") else None
        if key in left:
            line = f"{key} {left.pop(key)}"
        elif key in settings:  # a repeated setting (log_dest): keep only ours
            continue
        lines.append(line)
    return "\n".join([*lines, *(f"{key} {value}" for key, value in left.items())]) + "\n"


class LocalBroker:
    def __init__(self, folder: Path, port: int, settings: dict[str, str] | None = None) -> None:
        self.folder, self.port, self.host = folder, port, "127.0.0.1"
        self.config = folder / "mosquitto.conf"
        local = {
            "listener": f"{port} 127.0.0.1",
            "persistence_location": f"{folder}/",
            "log_dest": f"file {folder}/mosquitto.log",
        }
        if os.geteuid() == 0:
            local["user"] = "root"  # else it drops to 'mosquitto', who cannot write here
        self.config.write_text(broker_config(SHIPPED_CONFIG.read_text(), {**local, **(settings or {})}))
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("mosquitto") or MOSQUITTO
        if not Path(binary).is_file():
            raise BrokerUnavailable("mosquitto is not installed — apt-get install mosquitto (as .ci/run does)")
        self._process = subprocess.Popen(
            [binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrokerUnavailable(f"mosquitto exited: {self._process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise BrokerUnavailable(f"mosquitto did not listen on {self.host}:{self.port} within {timeout:g} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()  # SIGTERM: mosquitto saves its persistence file
            self._process.wait(timeout=10)
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def local_broker(settings: dict[str, str] | None = None) -> Iterator[LocalBroker]:
    folder = Path(tempfile.mkdtemp(prefix="mineguard-mqtt-"))
    broker = LocalBroker(folder, _free_port(), settings)
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)
