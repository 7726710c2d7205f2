"""Migration 0009: ``sensor_readings.flags`` turns from a JSON list of names into a bitmask and back,
carrying the flags already stored over, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from mineguard.services.storage.db import alembic_config, make_engine, migrate

T = datetime(2026, 11, 22, 7, tzinfo=UTC)


def _insert(connection, seq: int, flags: str) -> None:
    connection.execute(
        text(
            "INSERT INTO sensor_readings (device_id, kind, seq, t, received_at, value, unit, raw_value, raw_unit, "
            "flags, source) VALUES ('ch4-x', 'methane', :seq, :t, :t, 0.3, '%', 3000, 'ppm', :flags, 'test')"
        ),
        {"seq": seq, "t": T.isoformat(), "flags": flags},
    )


def test_flags_become_a_bitmask_and_come_back(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine, "0008")
        with engine.begin() as connection:
            _insert(connection, 1, "[]")
            _insert(connection, 2, json.dumps(["spike", "stuck"]))
            _insert(connection, 3, json.dumps(["out_of_range"]))
        migrate(engine, "0009")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT seq, flags FROM sensor_readings ORDER BY seq")).all()
            assert [tuple(r) for r in rows] == [(1, 0), (2, 2 | 4), (3, 1)]
            spikes = connection.execute(text("SELECT count(*) FROM sensor_readings WHERE (flags & 2) != 0")).scalar()
            assert spikes == 1  # queryable with plain SQL on both databases
        command.downgrade(alembic_config(engine), "0008")
        with engine.connect() as connection:
            back = connection.execute(text("SELECT seq, flags FROM sensor_readings ORDER BY seq")).all()
        names = [(seq, flags if isinstance(flags, list) else json.loads(flags)) for seq, flags in back]
        assert names == [(1, []), (2, ["spike", "stuck"]), (3, ["out_of_range"])]
    finally:
        engine.dispose()
