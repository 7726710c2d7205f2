"""A throw-away PostgreSQL cluster on loopback, from the Debian ``postgresql`` binaries.

Used by the tests and benchmarks (and handy to try MineGuard on PostgreSQL without setting a
server up): ``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 and a free port,
trust authentication for the local ``mineguard`` role, fsync off. As root, the cluster runs as
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


@contextmanager
def local_postgres(max_connections: int = 200) -> Iterator[str]:
    """Yield a ``postgresql+psycopg://`` URL of the new cluster's ``postgres`` database."""
    bindir = find_bindir()
    datadir = Path(tempfile.mkdtemp(prefix="mineguard-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(datadir, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {datadir} -F -c max_connections={max_connections}"
    try:
        subprocess.run(
            [*run_as, bindir / "initdb", "-D", datadir, "-U", "mineguard", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*run_as, bindir / "pg_ctl", "-D", datadir, "-o", options, "-l", datadir / "server.log", "-w", "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(datadir, ignore_errors=True)
        raise PostgresUnavailable(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}") from None
    try:
        yield f"postgresql+psycopg://mineguard@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, bindir / "pg_ctl", "-D", datadir, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(datadir, ignore_errors=True)


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
