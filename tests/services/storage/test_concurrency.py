"""Concurrent writers, as the API's worker threads are: nothing fails, nothing is lost, and the
audit chain stays one unbroken line."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from mineguard.services.audit import log as audit
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import AuditEntry, PositionRecord
from mineguard.services.twin import tracking
from mineguard.services.twin.loader import graph_from_db

WRITERS, EACH = 8, 15


def test_concurrent_positions_and_audit_entries(engine, session) -> None:
    graph = graph_from_db(session)
    sessions = session_factory(engine)
    start = datetime(2026, 11, 22, 6, tzinfo=UTC)
    before = session.scalar(select(func.count()).select_from(AuditEntry))

    def writer(worker: int) -> None:
        for i in range(EACH):
            with sessions() as s, s.begin():
                t = start + timedelta(seconds=i, milliseconds=worker)
                tracking.update_position(s, graph, "asset", f"miner-00{worker % 6 + 1}", t, (100.0 + i, 0.0, -400.0))
                audit.append(s, actor=f"worker-{worker}", action="test.write", subject=f"w{worker}:{i}")

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PositionRecord)) == WRITERS * EACH
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before + WRITERS * EACH
        report = audit.verify(s)
    assert report.ok, report.format()
