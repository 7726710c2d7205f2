"""Engines, URLs, migrations and the UTC timestamp column type, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError

from mineguard.services.storage.db import (
    DatabaseConfigError,
    has_schema,
    make_engine,
    migrate,
    normalise_url,
)
from mineguard.services.storage.models import Base
from mineguard.services.storage.types import UTCDateTime, utc_now

BEIJING = timezone(timedelta(hours=8))


def _schema_diff(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_migration_matches_models_and_is_idempotent(engine) -> None:
    assert has_schema(engine)
    assert _schema_diff(engine) == []
    migrate(engine)  # a second run is a no-op, not an error
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0012"]
    assert _schema_diff(engine) == []


def test_utc_datetime_round_trips_instant_and_refuses_naive(engine) -> None:
    table = Table("tz_probe", MetaData(), Column("id", Integer, primary_key=True), Column("t", UTCDateTime()))
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(table).values(id=1, t=datetime(2026, 3, 1, 16, 30, 15, 123456, tzinfo=BEIJING)))
        back = connection.execute(select(table.c.t).where(table.c.id == 1)).scalar_one()
        assert back == datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
        assert back.utcoffset() == timedelta(0)
        assert back.tzinfo == UTC
        # the stored instant compares correctly against an aware bound value in another zone
        later = datetime(2026, 3, 1, 9, 0, tzinfo=UTC).astimezone(BEIJING)
        assert connection.execute(select(table.c.id).where(table.c.t < later)).scalars().all() == [1]
    with pytest.raises(StatementError, match="has no time zone — use an aware UTC datetime"), engine.begin() as c:
        c.execute(insert(table).values(id=2, t=datetime(2026, 3, 1, 8, 0)))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_utc_datetime_bind_and_result_values(dialect) -> None:
    column_type = UTCDateTime()
    bound = column_type.process_bind_param(datetime(2026, 1, 1, 2, 0, tzinfo=BEIJING), dialect)
    if dialect.name == "sqlite":  # SQLite has no zones: naive UTC is stored
        assert bound == datetime(2025, 12, 31, 18, 0)
    else:
        assert bound == datetime(2025, 12, 31, 18, 0, tzinfo=UTC)
        assert bound.tzinfo == UTC
    assert column_type.process_bind_param(None, dialect) is None
    assert column_type.process_result_value(datetime(2025, 12, 31, 18, 0), dialect) == datetime(
        2025, 12, 31, 18, 0, tzinfo=UTC
    )
    assert column_type.process_result_value(None, dialect) is None
    with pytest.raises(ValueError, match=r"2026-01-01T02:00:00 has no time zone"):
        column_type.process_bind_param(datetime(2026, 1, 1, 2, 0), dialect)


def test_utc_now_is_aware_utc() -> None:
    now = utc_now()
    assert now.tzinfo == UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:pw@db:5432/mine", "postgresql+psycopg://u:pw@db:5432/mine"),
        ("postgresql://u:pw@db:5432/mine", "postgresql+psycopg://u:pw@db:5432/mine"),
        ("postgresql+psycopg://u@db/mine", "postgresql+psycopg://u@db/mine"),
        ("sqlite:///var/mineguard.db", "sqlite:///var/mineguard.db"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a database url", r"'not a database url' is not valid — use sqlite:///path/to/file\.db or postgresql://"),
        ("mysql://u:pw@db:3306/mine", r"database 'mysql' is not supported — use sqlite or postgresql"),
        ("oracle://u@db/mine", r"database 'oracle' is not supported"),
    ],
)
def test_make_engine_rejects_bad_urls(url: str, message: str) -> None:
    with pytest.raises(DatabaseConfigError, match=message):
        make_engine(url)


def test_sqlite_engine_creates_parent_folder_and_sets_pragmas(tmp_path: Path) -> None:
    db_file = tmp_path / "data" / "nested" / "mineguard.db"
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        assert db_file.parent.is_dir()
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert db_file.is_file()
    finally:
        engine.dispose()
