"""The bulk write (COPY on PostgreSQL, one multi-row INSERT on SQLite) stores what the Core insert
stores, returns the ids of the new rows only, and leaves stored keys alone — on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from mineguard.services.ingest.bulk import COLUMNS, insert_new
from mineguard.services.storage.models import SensorReading

T0 = datetime(2026, 11, 22, 7, 0, 0, 250_000, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 22, 15, 0, tzinfo=timezone(timedelta(hours=8)))  # not UTC: converted on the way in


def _row(device: str, seq: int, **kw) -> tuple:
    row = dict(
        zip(
            COLUMNS,
            (device, "methane", seq, None, RECEIVED, 0.4, "%", 4000.0, "ppm", 0, "bus"),
            strict=True,
        )
    )
    if "t" not in kw:
        row["t"] = T0 + timedelta(seconds=seq)
    return tuple({**row, **kw}.values())


def _stored(session: Session, device: str) -> list[tuple]:
    r = SensorReading
    columns = [getattr(r, c) for c in COLUMNS]
    return [tuple(row) for row in session.execute(select(*columns).where(r.device_id == device).order_by(r.seq))]


def test_bulk_rows_read_back_as_the_core_insert_rows(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        ids = insert_new(session, [_row("a", seq, flags=seq % 3) for seq in range(5)])
        session.execute(
            insert(SensorReading), [dict(zip(COLUMNS, _row("b", seq, flags=seq % 3), strict=True)) for seq in range(5)]
        )
    with Session(engine) as session:
        bulk, core = _stored(session, "a"), _stored(session, "b")
        assert [row[1:] for row in bulk] == [row[1:] for row in core]
        assert bulk[0][3] == T0 and bulk[0][4] == RECEIVED
        assert sorted(ids) == [("a", seq) for seq in range(5)]
        assert ids == {
            (d, s): i
            for i, d, s in session.execute(
                select(SensorReading.id, SensorReading.device_id, SensorReading.seq).where(
                    SensorReading.device_id == "a"
                )
            )
        }


def test_stored_keys_are_left_alone_and_not_returned(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        insert_new(session, [_row("a", seq) for seq in range(3)])
    with Session(engine) as session, session.begin():
        first = insert_new(session, [_row("a", seq, raw_value=1.0) for seq in range(2, 6)])
        second = insert_new(session, [_row("a", 9)])  # a second batch in one transaction starts empty
    assert sorted(first) == [("a", 3), ("a", 4), ("a", 5)] and list(second) == [("a", 9)]
    with Session(engine) as session:
        stored = _stored(session, "a")
    assert [row[2] for row in stored] == [0, 1, 2, 3, 4, 5, 9]
    assert stored[2][7] == 4000.0  # the stored reading of seq 2 kept its value


def test_values_at_the_edges_of_their_columns_read_back_exactly(engine: Engine) -> None:
    """PostgreSQL's binary COPY sends each value in its column's own binary form: the largest seq, the
    earliest and latest times the service accepts (to the microsecond, from a zone east of UTC), floats
    that text would round, flags with high bits and text outside ASCII come back exactly as sent."""
    east = timezone(timedelta(hours=14))
    rows = [
        _row("edge-1", 2**63 - 1, t=datetime(8999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), value=0.1 + 0.2),
        _row("edge-1", 0, t=datetime(1900, 1, 1, tzinfo=UTC), value=-1e-300, raw_value=1.7976931348623157e308),
        _row("edge-1", 7, received_at=datetime(2026, 12, 7, 9, 30, 0, 1, tzinfo=east), flags=2**15 - 1),
        _row("edge-1", 8, unit="µg/m³", source="mqtt:gw-ünter-tage"),
    ]
    with Session(engine) as session, session.begin():
        assert len(insert_new(session, rows)) == 4
    with Session(engine) as session:
        stored = {row[2]: row for row in _stored(session, "edge-1")}
    for row in rows:
        assert stored[row[2]] == row


def test_an_integer_too_large_for_its_column_is_refused_not_wrapped(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite integers are 64-bit whatever the declared column type")
    refused = pytest.raises(ValueError, match="flags 70000 does not fit its 16-bit column")
    with refused, Session(engine) as session, session.begin():
        insert_new(session, [_row("wide", 1), _row("wide", 2, flags=70_000)])
    with Session(engine) as session:
        assert _stored(session, "wide") == []


def test_a_batch_larger_than_one_sqlite_statement(engine: Engine) -> None:
    n = 7000  # over SQLite's 32,766 parameters at 11 columns a row
    with Session(engine) as session, session.begin():
        ids = insert_new(session, [_row("a", seq) for seq in range(n)])
    assert len(ids) == n and len(set(ids.values())) == n


def test_live_states_change_only_where_the_reading_is_newer_in_one_statement_per_chunk(
    engine: Engine, session: Session, monkeypatch
) -> None:
    from sqlalchemy import event

    from mineguard.services.ingest import bulk
    from mineguard.services.storage.models import Device

    sensors = sorted(d.id for d in session.scalars(select(Device).where(Device.kind == "sensor")))[:4]
    with session.begin_nested():
        session.get(Device, sensors[0]).updated_at = T0 + timedelta(minutes=5)  # holds a later reading already
    session.commit()
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement.split()[0])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    monkeypatch.setattr(bulk, "_LIVE_CHUNK", 3)  # 4 devices: two statements
    rows = [
        (device, {"value": i, "unit": "%", "seq": i}, T0 + timedelta(seconds=i)) for i, device in enumerate(sensors)
    ]
    try:
        changed = bulk.set_live_states(session, rows[::-1])
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert changed == set(sensors[1:])
    # PostgreSQL: one SELECT ... FOR UPDATE of the rows in id order, then UPDATE ... FROM (VALUES) per chunk;
    # SQLite: WITH live AS (VALUES ...) UPDATE ... FROM live per chunk
    expected = ["SELECT", "UPDATE", "UPDATE"] if engine.dialect.name == "postgresql" else ["WITH", "WITH"]
    assert statements == expected
    session.expire_all()
    first = session.get(Device, sensors[0])
    assert first.updated_at == T0 + timedelta(minutes=5) and first.state.get("seq") != 0
    for i, device in enumerate(sensors[1:], start=1):
        got = session.get(Device, device)
        assert got.state == {"value": i, "unit": "%", "seq": i} and got.updated_at == T0 + timedelta(seconds=i)
    assert bulk.set_live_states(session, rows) == set()  # the same readings again: nothing newer
