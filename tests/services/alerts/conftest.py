"""Helpers shared by the alert-job tests: store a sensor's readings through the real ingest path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mineguard.services.ingest.store import ingest

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def store_readings(sessions, device: str, kind: str, unit: str, times, values, seq0: int = 0, cleanser=None) -> None:
    """Ingest ``(times[i], values[i])`` for ``device`` (seq from ``seq0``, flagged by ``cleanser`` if
    given); every one must be accepted."""
    payloads = [
        {"device_id": device, "kind": kind, "seq": seq0 + i, "t": t.isoformat(), "value": float(v), "unit": unit}
        for i, (t, v) in enumerate(zip(times, values, strict=True))
    ]
    with sessions() as session, session.begin():
        report = ingest(session, payloads, source="test", now=NOW + timedelta(hours=1), cleanser=cleanser)
    assert len(report.accepted) == len(payloads), report.rejections[:3]
