"""Storage of readings on SQLite and PostgreSQL: round trip, rejects kept as received, exactly-once
under concurrent ingest, a fixed number of statements per batch, and the 0002 migration."""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

from alembic import command
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from mineguard.services.ingest.store import IngestReport, ingest
from mineguard.services.storage.db import alembic_config, session_factory
from mineguard.services.storage.models import Device, RejectedPayload, SensorReading

from .conftest import NOW, T0, reading

DEVICES = [
    ("ch4-1101-t", "methane", "%", 0.4),
    ("co-belt", "co", "ppm", 12.0),
    ("wind-return", "wind_speed", "m/s", 2.5),
]


def _batch(n: int, start: int = 0) -> list[dict]:
    """``n`` readings spread over three sensors, seq and t increasing per sensor."""
    return [
        reading(start + i // 3, device_id=d, kind=k, unit=u, value=v + i % 7 * 0.01)
        for i, (d, k, u, v) in ((i, DEVICES[i % 3]) for i in range(n))
    ]


def test_round_trip_and_rejects_kept_as_received(engine, session: Session) -> None:
    nul = b'{"device_id": "ch4-1101-t", "seq": 9, "note": "\x00"}'  # not JSON; PostgreSQL text cannot hold NUL
    big = json.dumps({**reading(8), "pad": "é" * 40_000}).encode()  # 80 kB of 2-byte characters
    report = ingest(session, [*_batch(6), nul, big, "not json"], source="http:gw-faces", now=NOW)
    session.commit()
    assert (len(report.accepted), report.rejected_by_reason) == (6, {"malformed_json": 2, "oversized": 1})
    with session_factory(engine)() as fresh:
        rows = list(fresh.scalars(select(SensorReading).order_by(SensorReading.id)))
        assert [r.id for r in rows] == [a.id for a in report.accepted]
        first = rows[0]
        assert (first.device_id, first.kind, first.seq, first.value, first.unit, first.flags, first.source) == (
            "ch4-1101-t",
            "methane",
            0,
            0.4,
            "%",
            0,  # no cleanser passed: stored clean
            "http:gw-faces",
        )
        assert first.t == T0 and first.t.tzinfo == UTC and first.received_at == NOW
        with_nul, oversized, not_json = fresh.scalars(select(RejectedPayload).order_by(RejectedPayload.id))
        assert (with_nul.reason, with_nul.payload_encoding) == ("malformed_json", "base64")
        assert base64.b64decode(with_nul.payload) == nul
        assert (oversized.reason, oversized.truncated, oversized.payload_encoding) == ("oversized", True, "utf-8")
        assert big.startswith(oversized.payload.encode()) and 65_533 <= len(oversized.payload.encode()) <= 65_536
        assert (not_json.payload, not_json.payload_encoding, not_json.truncated) == ("not json", "utf-8", False)
        state = fresh.get(Device, "wind-return").state
        assert state == {
            "value": 2.5 + 5 * 0.01,
            "unit": "m/s",
            "t": (T0 + timedelta(seconds=1)).isoformat(),
            "seq": 1,
            "flags": 0,
        }


def test_concurrent_ingest_stores_each_reading_once(engine, session: Session) -> None:
    batch = _batch(240)
    chunks = [batch[i : i + 60] for i in range(0, len(batch), 60)]
    sessions = session_factory(engine)
    start = threading.Barrier(4)

    def worker(k: int) -> list[IngestReport]:
        start.wait()
        reports = []
        for chunk in chunks[k:] + chunks[:k]:  # each thread starts at another chunk, then sends them all
            with sessions() as s, s.begin():
                reports.append(ingest(s, chunk, source=f"worker-{k}", now=NOW))
        return reports

    with ThreadPoolExecutor(4) as pool:
        reports = [r for rs in pool.map(worker, range(4)) for r in rs]
    assert sum(len(r.accepted) for r in reports) == 240
    assert sum(r.duplicates for r in reports) == 3 * 240
    assert sum(r.rejected for r in reports) == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(SensorReading)) == 240
        keys = s.execute(select(SensorReading.device_id, SensorReading.seq)).all()
        assert len(set(keys)) == 240
        assert s.scalar(select(func.count()).select_from(RejectedPayload)) == 0
        assert {d: s.get(Device, d).state["seq"] for d, *_ in DEVICES} == {d: 79 for d, *_ in DEVICES}


def test_statements_per_batch_do_not_grow_with_its_size(engine, session: Session) -> None:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.split()[0])

    def run(batch: list) -> list[str]:
        statements.clear()
        ingest(session, batch, source="test", now=NOW)
        session.flush()
        return sorted(statements)

    small = run([*_batch(30), reading(0, device_id="nope")])
    large = run([*_batch(600, start=100), *[reading(i, device_id="nope") for i in range(50)]])
    staged = ["CREATE", "DELETE"] if engine.dialect.name == "postgresql" else []  # + a COPY the events do not see
    # the devices' rows locked in id order, then one UPDATE for all 3 (SQLite: WITH live AS (VALUES ...) UPDATE)
    live = ["SELECT", "UPDATE"] if engine.dialect.name == "postgresql" else ["WITH"]
    assert small == large == sorted([*staged, *live, "INSERT", "INSERT", "SELECT"])  # + readings, rejects, devices
    resent = run(_batch(600, start=100))  # all duplicates: one more SELECT for the stored ones, no writes
    assert resent == ["SELECT", "SELECT"]
    event.remove(engine, "before_cursor_execute", count)


def test_migration_0002_downgrades_and_upgrades(engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0001")
    tables = set(inspect(engine).get_table_names())
    assert "sensor_readings" not in tables and "rejected_payloads" not in tables and "devices" in tables
    command.upgrade(config, "head")
    inspector = inspect(engine)
    assert {"sensor_readings", "rejected_payloads"} <= set(inspector.get_table_names())
    unique = inspector.get_unique_constraints("sensor_readings")
    assert [(u["name"], u["column_names"]) for u in unique] == [("uq_sensor_readings_device_seq", ["device_id", "seq"])]
