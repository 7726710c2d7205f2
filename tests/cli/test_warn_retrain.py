"""``mineguard warn retrain`` on a service database holding two days of a methane sensor's history: real
rises to the limit with their alarms, false bumps an operator marked, a bump test. It trains on the first
day and a half, replays the last half day (never trained on) before and after, and saves the model."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from mineguard.cli import main
from mineguard.services.settings import Settings
from mineguard.warning.risk import load_risk_model
from site_history import ADMIN_PASSWORD, UNTIL, methane_history


@pytest.fixture
def history(tmp_path) -> str:
    return methane_history(tmp_path)


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

    app = create_app(Settings(database_url=history, admin_password=ADMIN_PASSWORD))
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}).json()
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
