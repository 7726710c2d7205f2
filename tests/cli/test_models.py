"""``mineguard models`` as a user runs it: add two versions, promote, list, show, roll back, refusals that
name the file and the fix — on the database the service uses, each change in its audit log."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mineguard.cli import main
from tiny_risk_models import tiny_learned_risk


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINEGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'mg.db'}")
    monkeypatch.setenv("MINEGUARD_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("MINEGUARD_AUDIT_ANCHOR_FILE", str(tmp_path / "anchors.jsonl"))
    monkeypatch.setenv("MINEGUARD_ADMIN_PASSWORD", "admin-password")
    for seed in (0, 1):
        tiny_learned_risk(seed).save(tmp_path / f"risk{seed}.pt")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["models", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_promote_list_show_rollback(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "add", "risk", str(env / "risk0.pt"), "--data-description", "simulated, seed 0")
    assert code == 0 and "added risk version 1" in out and "mineguard models promote risk 1" in out
    (env / "train.csv").write_text("t,ch4\n0,0.5\n")
    code, out, _ = run(
        capsys,
        "add",
        "risk",
        str(env / "risk1.pt"),
        "--data",
        str(env / "train.csv"),
        "--metric",
        "val_auc=0.71",
        "--promote",
    )
    assert code == 0 and "promoted risk version 2" in out
    code, out, _ = run(capsys, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("* risk     v2") and "val_auc=0.71" in lines[0]
    assert lines[1].startswith("  risk     v1") and "risk0.pt" in lines[1]
    code, out, _ = run(capsys, "show", "risk", "2")
    record = json.loads(out)
    assert record["active"] is True and record["metrics"] == {"val_auc": 0.71}
    assert record["training_data"] == str(env / "train.csv")
    assert record["training_data_sha256"] == hashlib.sha256(b"t,ch4\n0,0.5\n").hexdigest()
    assert record["created_by"].startswith("cli")

    code, out, err = run(capsys, "rollback", "risk")  # v2 was the first promoted: nothing before it
    assert code == 2 and "was the first active one" in err and "rollback risk --to N" in err
    code, out, _ = run(capsys, "rollback", "risk", "--to", "1", "--reason", "v2 misses events")
    assert code == 0 and "rolled risk back to version 1" in out
    assert json.loads(run(capsys, "show", "risk", "1")[1])["active"] is True


def test_refusals_name_the_file_and_the_fix(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "junk.pt").write_bytes(b"not a model")
    code, _, err = run(capsys, "add", "risk", str(env / "junk.pt"))
    assert code == 2 and f"error: {env / 'junk.pt'}: does not load as a risk model" in err
    assert "mineguard warn train risk" in err
    assert run(capsys, "add", "risk", str(env / "risk0.pt"))[0] == 0
    code, _, err = run(capsys, "add", "risk", str(env / "risk0.pt"))
    assert code == 2 and "is already risk version 1" in err and "mineguard models promote risk 1" in err
    code, _, err = run(capsys, "show", "risk", "5")
    assert code == 2 and "error: no risk model version 5 at site sample-coal-mine" in err
    code, _, err = run(capsys, "promote", "bogus", "1")
    assert code == 2 and "unknown model kind 'bogus' — choose one of:" in err and "risk" in err
    code, _, err = run(capsys, "add", "risk", str(env / "risk1.pt"), "--metric", "auc")
    assert code == 2 and "--metric 'auc': write NAME=NUMBER" in err


def test_the_installed_command_and_its_audit_log(env: Path) -> None:
    """The ``mineguard`` entry point in a separate process, then ``audit verify`` on the same database."""
    cli = [sys.executable, "-m", "mineguard"]
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"), *sys.path]),
    }
    added = subprocess.run(
        [*cli, "models", "add", "risk", str(env / "risk0.pt"), "--promote"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    assert "promoted risk version 1" in added.stdout
    listed = subprocess.run([*cli, "models", "list"], env=environ, capture_output=True, text=True, timeout=120)
    assert listed.stdout.startswith("* risk     v1")
    verified = subprocess.run([*cli, "audit", "verify"], env=environ, capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with sqlite3.connect(env / "mg.db") as db:
        rows = db.execute("SELECT action, actor FROM audit_log WHERE action LIKE 'model.%' ORDER BY seq").fetchall()
    assert [action for action, _ in rows] == ["model.added", "model.promoted"]
    assert all(actor.startswith("cli") for _, actor in rows)


def test_list_says_which_forecast_serves(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tiny_forecasters import forecast_file

    code, out, _ = run(capsys, "list")
    assert code == 0 and "(forecast: no active version — the risk model judges every sensor kind)" in out
    path = forecast_file(env)
    code, out, _ = run(capsys, "add", "forecast", str(path), "--data-description", "a ramp", "--promote")
    assert code == 0 and "promoted forecast version 1" in out
    code, out, _ = run(capsys, "list")
    assert out.splitlines()[0].startswith("* forecast v1") and "(forecast: v1 serves its sensor kind" in out


def test_a_multimodal_model_is_added_and_listed_as_a_user_does(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tiny_window_gbm import window_gbm_file

    path = window_gbm_file(env)
    code, out, _ = run(capsys, "add", "multimodal", str(path))
    assert code == 0
    code, out, _ = run(capsys, "list")
    assert code == 0 and out.splitlines()[0].startswith("  multimodal v1")
    assert "(multimodal: no active version — no fusion warnings; the rules and the risk job warn)" in out
    (env / "junk.json").write_text("{}")
    code, _, err = run(capsys, "add", "multimodal", str(env / "junk.json"))
    assert code == 2 and "junk.json: does not load as a multimodal model" in err
