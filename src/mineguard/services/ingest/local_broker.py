"""A throw-away Mosquitto broker on loopback (Debian ``mosquitto``), for tests, benchmarks and
trying the MQTT transport without setting a broker up. Persistence is on, so a restart keeps the
queued QoS 1 messages of persistent sessions, as a production broker configured for it does."""

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

MOSQUITTO = "/usr/sbin/mosquitto"


class BrokerUnavailable(RuntimeError):
    """No mosquitto binary here, or it did not start."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalBroker:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port, self.host = folder, port, "127.0.0.1"
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {folder}/\nautosave_interval 1\nmax_queued_messages 0\n"
            f"log_dest file {folder}/mosquitto.log\n"
            + ("user root\n" if os.geteuid() == 0 else "")  # else it drops to 'mosquitto', who cannot write here
        )
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("mosquitto") or MOSQUITTO
        if not Path(binary).is_file():
            raise BrokerUnavailable("mosquitto is not installed — apt-get install mosquitto (as .ci/run does)")
        self._process = subprocess.Popen([binary, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)  # fmt: skip
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
def local_broker() -> Iterator[LocalBroker]:
    folder = Path(tempfile.mkdtemp(prefix="mineguard-mqtt-"))
    broker = LocalBroker(folder, _free_port())
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)
