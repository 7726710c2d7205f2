"""The one bulk write of a batch of new readings, per database, on the driver below SQLAlchemy.

``insert_new(session, rows)`` stores every row whose ``(device_id, seq)`` is not stored yet and gives
back the row id of each one it stored, by key; a key already there (a re-send, or a concurrent
ingest that won) is left alone and missing from the answer. It runs in the caller's transaction.

- PostgreSQL: binary ``COPY`` of the batch into a session-local temporary table (psycopg's ``copy``,
  the rows written by its C adapter in PostgreSQL's binary format: about 1 µs a row, against 6 µs as
  text, where formatting times and floats as text was an eighth of an ingest worker's time), then one
  ``INSERT INTO sensor_readings SELECT ... ON CONFLICT (device_id, seq) DO NOTHING RETURNING``: two
  statements for any batch size, no per-row parameter processing in Python. Binary ``COPY`` needs the
  exact column types: they are read from the temporary table itself, once per connection.
- SQLite: one multi-row ``INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING RETURNING`` per
  chunk of rows that fits SQLite's bound-parameter limit.

``set_live_states(session, rows)`` sets each device's live state to its newest reading when that is newer than
what the device holds, in one ``UPDATE devices ... FROM (VALUES ...) ... RETURNING id`` per chunk (on
PostgreSQL after one ``SELECT ... ORDER BY id FOR UPDATE`` of those rows, so concurrent workers lock devices
in one order and never deadlock): a statement per batch, not one per device, which matters once a batch
holds readings of hundreds of sensors.

The profile of issue 21 (``docs/results/platform.md``) put SQLAlchemy's per-row parameter
processing of the Core ``insert()`` at a quarter of the ingest worker's time; this path gives the
same rows (times through the column type's own bind processor on SQLite, aware ``timestamptz`` on
PostgreSQL), which ``tests/services/ingest/test_bulk.py`` checks against the Core insert.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from mineguard.services.storage.models import Device, SensorReading

COLUMNS = ("device_id", "kind", "seq", "t", "received_at", "value", "unit", "raw_value", "raw_unit", "flags", "source")
Row = tuple[str, str, int, datetime, datetime, float, str, float, str, int, str]  # in the order of COLUMNS
SQLITE_MAX_PARAMETERS = 32_766  # SQLite >= 3.32's default SQLITE_MAX_VARIABLE_NUMBER
_STAGE = "mineguard_ingest_stage"
LiveRow = tuple[str, dict[str, Any], datetime]  # device id, its new live state, the reading's time
_INTEGER_BITS = {21: 16, 23: 32, 20: 64}  # PostgreSQL's smallint, integer and bigint type oids
_LIVE_CHUNK = 5_000  # devices a statement: 3 parameters each, within SQLite's and psycopg's limits


def insert_new(session: Session, rows: Sequence[Row]) -> dict[tuple[str, int], int]:
    """Store the rows whose (device_id, seq) is new; their ids by key (see the module docstring)."""
    if not rows:
        return {}
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        return _copy_postgresql(connection, rows)
    if dialect.name == "sqlite":
        return _values_sqlite(connection, rows)
    raise ValueError(f"database {dialect.name!r} is not supported for ingest — use sqlite or postgresql")


def _copy_postgresql(connection: Connection, rows: Sequence[Row]) -> dict[tuple[str, int], int]:
    table, columns = SensorReading.__tablename__, ", ".join(COLUMNS)
    # session-local, emptied at commit; created once per database connection (a no-op afterwards)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "
        f"SELECT {columns} FROM {table} WITH NO DATA"
    )
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")  # a second batch in one transaction starts empty
    pooled = connection.connection  # its ``info`` lives as long as the database connection, like the table
    cursor = pooled.driver_connection.cursor()  # COPY has no SQLAlchemy statement
    with cursor:
        types = pooled.info.get(_STAGE)
        if types is None:  # the server's own type of each column (binary COPY has no conversions)
            cursor.execute(f"SELECT {columns} FROM {_STAGE} LIMIT 0")
            types = pooled.info[_STAGE] = [column.type_code for column in cursor.description or ()]
        _check_integer_ranges(rows, types)
        with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
    new = connection.exec_driver_sql(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {_STAGE} "
        "ON CONFLICT (device_id, seq) DO NOTHING RETURNING id, device_id, seq"
    )
    return {(device_id, seq): row_id for row_id, device_id, seq in new}


def _check_integer_ranges(rows: Sequence[Row], types: Sequence[int]) -> None:
    """Refuse an integer outside its column's type: binary ``COPY`` would wrap it silently (70,000 in a
    ``smallint`` is stored as 4,464), where text ``COPY`` and an ``INSERT`` raise."""
    for i, oid in enumerate(types):
        bits = _INTEGER_BITS.get(oid)
        if bits is None:
            continue
        values = [row[i] for row in rows]
        low, high = min(values), max(values)
        if low < -(2 ** (bits - 1)) or high >= 2 ** (bits - 1):
            raise ValueError(f"{COLUMNS[i]} {low if low < 0 else high} does not fit its {bits}-bit column")


def _values_sqlite(connection: Connection, rows: Sequence[Row]) -> dict[tuple[str, int], int]:
    table = SensorReading.__table__
    to_t = table.c.t.type.bind_processor(connection.dialect)  # the column type's own conversion: naive UTC text
    received: dict[datetime, Any] = {}  # the few distinct receive times of a batch, converted once
    chunk = SQLITE_MAX_PARAMETERS // len(COLUMNS)
    ids: dict[tuple[str, int], int] = {}
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        values = ", ".join(["(" + ", ".join("?" * len(COLUMNS)) + ")"] * len(part))
        params: list[Any] = []
        for device_id, kind, seq, t, received_at, *rest in part:
            if received_at not in received:
                received[received_at] = to_t(received_at)
            params += (device_id, kind, seq, to_t(t), received[received_at], *rest)
        new = connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(COLUMNS)}) VALUES {values} "
            "ON CONFLICT (device_id, seq) DO NOTHING RETURNING id, device_id, seq",
            tuple(params),
        )
        ids.update(((device_id, seq), row_id) for row_id, device_id, seq in new)
    return ids


def set_live_states(session: Session, rows: Sequence[LiveRow]) -> set[str]:
    """Give each device of ``rows`` its new state and time where the time is later than its ``updated_at``
    (or it has none); the ids of the devices changed (see the module docstring)."""
    if not rows:
        return set()
    connection = session.connection()
    dialect = connection.dialect
    table = Device.__tablename__
    ordered = sorted(rows, key=lambda row: row[0])
    to_t = Device.__table__.c.updated_at.type.bind_processor(dialect)  # naive UTC text on SQLite
    assign = f"UPDATE {table} SET state = live.state, updated_at = live.t"
    if dialect.name == "postgresql":
        ids = [row[0] for row in ordered]
        connection.exec_driver_sql(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))
        row_sql, head = "(%s, %s::json, %s::timestamptz)", assign + " FROM (VALUES {}) AS live (id, state, t)"
    elif dialect.name == "sqlite":  # no column names on a VALUES alias: a CTE names them
        row_sql, head = "(?, ?, ?)", "WITH live (id, state, t) AS (VALUES {}) " + assign + " FROM live"
    else:
        raise ValueError(f"database {dialect.name!r} is not supported for ingest — use sqlite or postgresql")
    changed: set[str] = set()
    for start in range(0, len(ordered), _LIVE_CHUNK):
        part = ordered[start : start + _LIVE_CHUNK]
        params: list[Any] = []
        for device_id, state, t in part:
            params += (device_id, json.dumps(state), to_t(t) if to_t else t)  # as the JSON column writes it
        statement = (
            head.format(", ".join([row_sql] * len(part)))
            + f" WHERE {table}.id = live.id AND ({table}.updated_at IS NULL OR {table}.updated_at < live.t)"
            + f" RETURNING {table}.id"  # the time is re-checked under the row lock: a concurrent newer reading wins
        )
        changed.update(device_id for (device_id,) in connection.exec_driver_sql(statement, tuple(params)))
    return changed
