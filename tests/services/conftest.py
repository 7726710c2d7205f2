"""Database fixtures: every storage and API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``MINEGUARD_TEST_POSTGRES_URL`` when set (an existing server, loopback
only), else from a throw-away cluster started here with the Debian ``postgresql`` binaries
(``.ci/run`` installs them); without either, the PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BACKENDS = ["sqlite", "postgresql"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL of a server's maintenance database on loopback."""
    url = os.environ.get("MINEGUARD_TEST_POSTGRES_URL")
    if url:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)
        return
    initdbs = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not initdbs:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql, as .ci/run does) and "
                    "MINEGUARD_TEST_POSTGRES_URL is not set")  # fmt: skip
    bindir = initdbs[-1].parent
    datadir = Path(tempfile.mkdtemp(prefix="mineguard-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as the postgres user
        shutil.chown(datadir, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run([*run_as, bindir / "initdb", "-D", datadir, "-U", "mineguard", "-A", "trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True)  # fmt: skip
        options = f"-h 127.0.0.1 -p {port} -k {datadir} -F -c max_connections=200"
        subprocess.run([*run_as, bindir / "pg_ctl", "-D", datadir, "-o", options, "-l", datadir / "server.log", "-w",
                        "start"], check=True, capture_output=True)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(datadir, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL cluster: {exc.stderr.decode(errors='replace')}")
    try:
        yield f"postgresql+psycopg://mineguard@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, bindir / "pg_ctl", "-D", datadir, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend; PostgreSQL gets a fresh database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mineguard.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator:
    """A migrated engine on each backend."""
    from mineguard.services.storage.db import make_engine, migrate

    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator:  # noqa: ANN001
    """A session on a migrated database with the sample site loaded (committed)."""
    from mineguard.services.storage.db import session_factory
    from mineguard.services.twin.loader import sync_site
    from mineguard.services.twin.site import load_site

    factory = session_factory(engine)
    with factory() as s:
        sync_site(s, load_site())
        s.commit()
        yield s
