"""A migrated SQLite database with the sample site, shared by a module; each test's writes are rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


def reading(
    seq: int,
    *,
    device_id: str = "ch4-1101-t",
    kind: str = "methane",
    value: float = 0.42,
    unit: str = "%",
    t: datetime | str | None = None,
) -> dict:
    """A valid reading of the sample site's face methane sensor; ``t`` defaults to ``seq`` seconds after 07:00."""
    when = t if t is not None else T0 + timedelta(seconds=seq)
    return {
        "device_id": device_id,
        "kind": kind,
        "seq": seq,
        "t": when if isinstance(when, str) else when.isoformat(),
        "value": value,
        "unit": unit,
    }


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    from mineguard.mine.site import load_site
    from mineguard.services.storage.db import make_engine, migrate, session_factory
    from mineguard.services.twin.loader import sync_site

    path: Path = tmp_path_factory.mktemp("ingest") / "mineguard.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with session_factory(engine)() as session:
        sync_site(session, load_site())
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def db(sqlite_engine: Engine) -> Iterator[Session]:
    """A session whose writes are rolled back after the test (ingest never commits by itself)."""
    connection = sqlite_engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
