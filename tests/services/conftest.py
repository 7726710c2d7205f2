"""Database fixtures: every storage and API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``MINEGUARD_TEST_POSTGRES_URL`` when set (an existing server, loopback
only), else from a throw-away cluster started here with the Debian ``postgresql`` binaries
(``.ci/run`` installs them); without either, the PostgreSQL half is skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_postgres import (
    PostgresUnavailable,
    create_database,
    drop_database,
    find_bindir,
    local_postgres,
)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", autouse=True)
def audit_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The audit key and checkpoint file of every service started here, in a temporary folder.

    Their default place is next to a SQLite database, but ``var/`` of the working directory for
    PostgreSQL: the tests must not write there. Checkpoints name their database, so one file serves all.
    """
    folder = tmp_path_factory.mktemp("audit")
    patch = pytest.MonkeyPatch()
    patch.setenv("MINEGUARD_AUDIT_KEY_FILE", str(folder / "audit.key"))
    patch.setenv("MINEGUARD_AUDIT_ANCHOR_FILE", str(folder / "audit-anchors.jsonl"))
    yield folder
    patch.undo()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL of a server's maintenance database on loopback."""
    url = os.environ.get("MINEGUARD_TEST_POSTGRES_URL")
    if url:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)
        return
    try:
        find_bindir()
    except PostgresUnavailable as exc:
        pytest.skip(f"{exc}; or set MINEGUARD_TEST_POSTGRES_URL")
    with local_postgres() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend; PostgreSQL gets a fresh database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mineguard.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = create_database(server, name)
    try:
        yield url
    finally:
        drop_database(server, name)


@pytest.fixture
def engine(database_url: str) -> Iterator:
    """A migrated engine on each backend."""
    from mineguard.services.storage.db import make_engine, migrate

    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator:
    """A session on a migrated database with the sample site loaded (committed)."""
    from mineguard.mine.site import load_site
    from mineguard.services.storage.db import session_factory
    from mineguard.services.twin.loader import sync_site

    factory = session_factory(engine)
    with factory() as s:
        sync_site(s, load_site())
        s.commit()
        yield s
