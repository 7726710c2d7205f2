"""``mineguard warn retrain`` on a service database holding two days of a methane sensor's history: real
rises to the limit with their alarms, false bumps an operator marked, a bump test. It trains on the first
day and a half, replays the last half day (never trained on) before and after, and saves the model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from mineguard.cli import main
from mineguard.services.alerts import book
from mineguard.services.ingest.store import ingest
from mineguard.services.settings import Settings
from mineguard.services.storage.db import make_engine, session_factory
from mineguard.warning.risk import load_risk_model

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


@pytest.fixture
def history(tmp_path):
    from mineguard.services.api.main import create_app

    url = f"sqlite:///{tmp_path / 'site.db'}"
    app = create_app(Settings(database_url=url, admin_password="secret-pass-1"))
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


def test_retrain_replays_before_and_after_and_saves_the_model(history, tmp_path, capsys) -> None:
    out, report = tmp_path / "retrained.pt", tmp_path / "report.json"
    argv = ["warn", "retrain", "--database-url", history, "--until", UNTIL.isoformat(), "--train-days", "1.5"]
    argv += ["--replay-days", "0.5", "--series", "10", "--epochs", "2", "--step-s", "120"]
    code = main([*argv, "--out", str(out), "--report", str(report)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "verdicts used: true_alarm" in printed.out and "never trained on" in printed.out
    assert "  trend " in printed.out and "  retrained " in printed.out
    record = json.loads(report.read_text())
    assert record["verdicts"]["false_alarm"] >= 4 and record["verdicts"]["test"] == 1
    replay = record["replay"]
    # the last 12 h (minutes 2160-2880) hold one real rise (crossing at minute 2543) and the bump test (not an event)
    assert replay["before"]["alarms"] == replay["after"]["alarms"] == 1
    for side in ("before", "after"):
        scores = replay[side]
        assert scores["warned"] + scores["missed"] == scores["alarms"] and scores["days"] == pytest.approx(0.5)
    assert replay["before"]["warned"] == 1  # the trend model warns the 0.03 %/min rise
    model = load_risk_model(str(out))
    assert model.name == "learned" and model.training["site_windows"] > 1000
    assert len(model.training["site_data_sha256"]) == 64


def test_a_registered_retrain_waits_for_the_super_manager(history, tmp_path, capsys) -> None:
    argv = ["warn", "retrain", "--database-url", history, "--until", UNTIL.isoformat(), "--train-days", "1.5"]
    argv += ["--replay-days", "0.5", "--series", "10", "--epochs", "1", "--out", str(tmp_path / "r.pt"), "--register"]
    assert main(argv) == 0, capsys.readouterr().err
    assert "registered risk version 1 — not served until promoted" in capsys.readouterr().out
    from mineguard.services.api.main import create_app

    app = create_app(Settings(database_url=history, admin_password="secret-pass-1"))
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "secret-pass-1"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        (version,) = client.get("/api/v1/models", headers=headers).json()
        assert version["kind"] == "risk" and version["version"] == 1 and not version["active"]
        assert version["metrics"]["replay_after_alarms"] == 1.0
        assert "verdicts" in version["training_data"]
        operator = {"username": "op9", "role": "operator", "password": "operator-pass-9", "crew": "crew-a"}
        assert client.post("/api/v1/users", json=operator, headers=headers).status_code == 201
        op_token = client.post("/api/v1/auth/token", json={"username": "op9", "password": "operator-pass-9"}).json()
        op_headers = {"Authorization": f"Bearer {op_token['access_token']}"}
        promote = {"version": 1}
        assert client.post("/api/v1/models/risk/promote", json=promote, headers=op_headers).status_code == 403
        assert client.post("/api/v1/models/risk/promote", json=promote, headers=headers).status_code == 200
    app.state.ctx.engine.dispose()


def test_bad_arguments_are_clear_errors(history, tmp_path, capsys) -> None:
    base = ["warn", "retrain", "--database-url", history, "--out", str(tmp_path / "m.pt")]
    assert main([*base, "--until", "2026-11-30T00:00:00"]) == 2
    assert "give the time zone" in capsys.readouterr().err
    assert main([*base, "--until", "yesterday"]) == 2
    assert "ISO time" in capsys.readouterr().err
    assert main([*base, "--until", "2020-01-01T00:00:00+00:00"]) == 2  # nothing stored then
    assert "no training windows" in capsys.readouterr().err
    assert main(["warn", "retrain", "--database-url", history, "--out", str(tmp_path / "m.onnx")]) == 2
    assert "name the file *.pt" in capsys.readouterr().err
    empty = f"sqlite:///{tmp_path / 'nothing.db'}"
    assert main(["warn", "retrain", "--database-url", empty, "--out", str(tmp_path / "m.pt")]) == 2
    assert "no MineGuard database" in capsys.readouterr().err
