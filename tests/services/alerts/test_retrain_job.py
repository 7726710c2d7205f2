"""The scheduled retraining runs ``mineguard warn retrain --register`` in a child process with the service's
database and site: a new risk version appears in the registry, not serving; a failing run is logged and
returns False; the service adds the job only when ``retrain_every_h`` is set."""

from __future__ import annotations

import logging
import sys
import threading

from fastapi.testclient import TestClient

from mineguard.services.alerts.retrain_job import retrain_command, retrain_env, run_retrain
from mineguard.services.model_store import store
from mineguard.services.settings import Settings
from mineguard.services.storage.db import make_engine, session_factory
from mineguard.services.storage.types import utc_now
from site_history import ADMIN_PASSWORD, UNTIL, methane_history


def test_the_command_and_environment_carry_the_services_settings(tmp_path) -> None:
    settings = Settings(database_url="sqlite:///x.db", site_file=tmp_path / "site.yaml", risk_model="trend")
    settings = settings.model_copy(update={"retrain_dir": tmp_path / "models", "retrain_options": "--series '20'"})
    command = retrain_command(settings, UNTIL)
    assert command[:5] == [sys.executable, "-m", "mineguard", "warn", "retrain"]
    out = str(tmp_path / "models" / "risk-20261130T000000.pt")
    assert command[5:] == ["--register", "--out", out, "--series", "20"]
    env = retrain_env(settings)
    assert env["MINEGUARD_DATABASE_URL"] == "sqlite:///x.db" and env["MINEGUARD_RISK_MODEL"] == "trend"
    assert env["MINEGUARD_SITE_FILE"] == str(tmp_path / "site.yaml")


def test_a_scheduled_run_registers_a_version_that_does_not_serve(tmp_path, caplog) -> None:
    url = methane_history(tmp_path)
    options = f"--until {UNTIL.isoformat()} --train-days 1.5 --replay-days 0.5 --series 10 --epochs 1"
    settings = Settings(database_url=url, retrain_dir=tmp_path / "models", retrain_options=options)
    with caplog.at_level(logging.INFO, logger="mineguard.services.alerts.retrain_job"):
        assert run_retrain(settings, utc_now())
    assert any("registered risk version 1" in r.message for r in caplog.records)
    assert len(list((tmp_path / "models").glob("risk-*.pt"))) == 1
    engine = make_engine(url)
    with session_factory(engine)() as session:
        (version,) = store.versions(session, "sample-coal-mine", "risk")
        assert version.version == 1 and store.active(session, "sample-coal-mine", "risk") is None
    engine.dispose()


def test_a_failing_run_is_logged_and_the_service_runs_the_job_only_when_asked(tmp_path, caplog) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    settings = Settings(database_url=url, retrain_dir=tmp_path / "models", retrain_options="--series 1")
    with caplog.at_level(logging.INFO, logger="mineguard.services.alerts.retrain_job"):
        assert not run_retrain(settings, utc_now())
    assert any("failed (exit 2)" in r.message and "--series must be >= 5" in r.message for r in caplog.records)
    from mineguard.services.api.main import create_app

    for every_h, expected in ((None, False), (24.0, True)):
        app = create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD, retrain_every_h=every_h))
        with TestClient(app):
            names = [thread.name for thread in threading.enumerate()]
        app.state.ctx.engine.dispose()
        assert ("mineguard-retrain" in names) is expected
