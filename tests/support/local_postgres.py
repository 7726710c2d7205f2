"""A throw-away PostgreSQL cluster on loopback, from the Debian ``postgresql`` binaries.

Used by the tests and benchmarks (and handy to try MineGuard on PostgreSQL without setting a
server up): ``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 and a free port,
trust authentication for the local ``mineguard`` role, fsync off (``durable=True``: fsync and
synchronous_commit on). :class:`LocalCluster` can be stopped and started again by a test. As root, the cluster runs as
the ``postgres`` user, since PostgreSQL refuses to run as root.

A test helper, not part of the package: ``tests/support/`` is on ``sys.path`` through pytest's
``pythonpath`` option (pyproject.toml), so tests write ``from local_postgres import ...`` (plain
modules, no package: with ``--import-mode=importlib`` nothing else puts a tests folder on the path);
the benchmarks reach it through ``benchmarks/local_servers.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or the cluster did not start."""


def find_bindir() -> Path:
    initdbs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not initdbs:
        raise PostgresUnavailable("PostgreSQL is not installed — apt-get install postgresql (as .ci/run does)")
    return initdbs[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCluster:
    """A throw-away cluster that a test can stop and start again (the database refusing connections)."""

    def __init__(self, max_connections: int = 200, *, durable: bool = False) -> None:
        self.bindir = find_bindir()
        self.datadir = Path(tempfile.mkdtemp(prefix="mineguard-pg-"))
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.datadir, user="postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()
        # durable: fsync and synchronous_commit on, as a mine runs it; else fsync off (faster tests)
        self.options = f"-h 127.0.0.1 -p {self.port} -k {self.datadir} -c max_connections={max_connections}"
        self.options += " -c fsync=on -c synchronous_commit=on" if durable else " -F"
        self.url = f"postgresql+psycopg://mineguard@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self._run(
            self.bindir / "initdb", "-D", self.datadir, "-U", "mineguard", "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        self.start()

    def start(self) -> None:
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            self.datadir,
            "-o",
            self.options,
            "-l",
            self.datadir / "server.log",
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: connections are cut and refused until :meth:`start`; ``immediate``: as a crash."""
        self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-m", mode, "stop", check=False)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.datadir, ignore_errors=True)

    def _run(self, *command: object, check: bool = True) -> None:
        try:
            subprocess.run([*self.run_as, *command], check=check, capture_output=True)
        except subprocess.CalledProcessError as exc:
            raise PostgresUnavailable(f"{command[0]} failed: {exc.stderr.decode(errors='replace')}") from None


@contextmanager
def local_cluster(max_connections: int = 200, *, durable: bool = False) -> Iterator[LocalCluster]:
    """A started :class:`LocalCluster`, removed afterwards."""
    cluster = LocalCluster(max_connections, durable=durable)
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()


@contextmanager
def local_postgres(max_connections: int = 200, *, durable: bool = False) -> Iterator[str]:
    """Yield a ``postgresql+psycopg://`` URL of the new cluster's ``postgres`` database."""
    with local_cluster(max_connections, durable=durable) as cluster:
        yield cluster.url


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server and return its URL."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
