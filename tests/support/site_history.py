"""A service database holding two days of a methane sensor's history, for the risk model's retraining:
real rises to the limit with their alarms (true alarms), false bumps an operator marked, a bump test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from mineguard.services.alerts import book
from mineguard.services.ingest.store import ingest
from mineguard.services.settings import Settings
from mineguard.services.storage.db import make_engine, session_factory

ADMIN_PASSWORD = "secret-pass-1"

UNTIL = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
START = UNTIL - timedelta(days=2)
STEP_S = 60.0


def methane_day(rng: np.random.Generator) -> np.ndarray:
    """Two days a minute apart: 0.3 % with noise; every 8 h a rise of 0.03 %/min to 1.1 % (a real alarm),
    every 8 h (shifted 4 h) a bump to 0.8 % that falls back (no alarm); a bump test to 2 % at 40 h."""
    n = int(2 * 86_400 / STEP_S)
    v = 0.3 + rng.normal(0.0, 0.01, n)
    minute = np.arange(n)
    for start in range(120, n, 480):
        up = np.clip((minute - start) * 0.03, 0.0, 0.8) * (minute < start + 40)
        v += up  # 0.3 -> 1.1 in 27 min, held to 40 min, then back
    for start in range(360, n, 480):
        v += np.clip(np.minimum((minute - start) * 0.03, (start + 34 - minute) * 0.03), 0.0, None)  # to ~0.8
    v[2400:2405] = 2.0  # a bump test of the head
    return v


def methane_history(tmp_path: Path) -> str:
    """The database's URL (SQLite in ``tmp_path``)."""
    from mineguard.services.api.main import create_app

    url = f"sqlite:///{tmp_path / 'site.db'}"
    app = create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD))
    app.state.ctx.engine.dispose()
    engine = make_engine(url)
    sessions = session_factory(engine)
    values = methane_day(np.random.default_rng(0))
    times = [START + timedelta(seconds=STEP_S * i) for i in range(len(values))]
    payloads = [
        {"device_id": "ch4-1101-t", "kind": "methane", "seq": i, "t": t.isoformat(), "value": float(v), "unit": "%"}
        for i, (t, v) in enumerate(zip(times, values, strict=True))
    ]
    with sessions() as session, session.begin():
        report = ingest(session, payloads, source="test", now=UNTIL)
    assert len(report.accepted) == len(payloads)
    with sessions() as session, session.begin():
        for i in np.flatnonzero((values[1:] >= 1.0) & (values[:-1] < 1.0)) + 1:  # each crossing: an alarm
            reason = "test" if 2400 <= i < 2405 else "true_alarm"
            alarm = book.raise_or_update(
                session,
                key=f"methane.working_face:face_1101:{i}",
                rule_id="methane.working_face",
                severity="warning",
                title="Methane",
                message="Methane past 1.0 %",
                t=times[i],
                zone_id="face_1101",
                evidence={"inputs": [f"reading:ch4-1101-t#{i}"]},
            ).alert
            book.acknowledge(session, alarm.id, actor="op1", t=times[i] + timedelta(minutes=2), reason=reason)
            book.condition_cleared(session, alarm.key, times[i] + timedelta(minutes=20), "back under the limit")
        for start in range(360, len(values), 480):  # the operators' verdict on the bumps' warnings: false alarms
            warning = book.raise_or_update(
                session,
                key=f"risk:ch4-1101-t:{start}",
                rule_id="risk.methane",
                severity="warning",
                title="Methane heading for its limit",
                message="Methane heading for 1.0 %",
                t=times[start + 10],
                zone_id="face_1101",
                subject_id="ch4-1101-t",
            ).alert
            book.acknowledge(session, warning.id, actor="op1", t=times[start + 12], reason="false_alarm")
            book.condition_cleared(session, warning.key, times[start + 30], "risk below 0.3")
    engine.dispose()
    return url
