"""The served risk model follows the registry without a restart, and falls back to ``trend`` with a
model-health alert when the active version fails to load or answers NaN; the alert clears once the model
works again. The calls are those of the service's risk round (``ServiceRuntime._risk_round``)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import torch
from sqlalchemy import select

from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.alerts.served_models import ServedModels
from mineguard.services.model_store import store
from mineguard.services.observability.metrics import ServiceMetrics
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import ActiveModel, Alert, ModelArtifact, ModelVersion
from mineguard.warning.risk import TrendModel, get_risk_model
from tiny_risk_models import nan_risk_model, tiny_learned_risk

from .conftest import NOW, store_readings

SITE = "sample-coal-mine"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("served")
    models = {"good": tiny_learned_risk(0), "other": tiny_learned_risk(1), "nan": nan_risk_model(2)}
    return {name: model.save(folder / f"{name}.pt").read_bytes() for name, model in models.items()}


@pytest.fixture
def sessions(engine, session):  # `session` loads the sample site
    sessions = session_factory(engine)
    times = [NOW - timedelta(seconds=10 * i) for i in range(30, 0, -1)]  # the last 5 min, every 10 s
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, [0.5 + 0.05 * (30 - i) / 6 for i in range(30, 0, -1)])
    return sessions


def add_and_promote(sessions, data: bytes, name: str) -> int:
    with sessions() as s, s.begin():
        row = store.add(s, SITE, "risk", data, filename=name, actor="test", now=NOW)
        store.promote(s, SITE, "risk", row.version, actor="test", now=NOW)
        return row.version


def risk_round(served: ServedModels, sessions, t=NOW):
    """What ``ServiceRuntime._risk_round`` does: judge with the served model, then report its health."""
    now = served.risk()
    return check_risk(sessions, t, model=now.model) + served.check_health(now, t), now


def model_health(sessions) -> Alert | None:
    with sessions() as s:
        return s.scalar(select(Alert).where(Alert.key == "model-health:risk").order_by(Alert.id.desc()))


def test_no_active_version_serves_the_setting(sessions) -> None:
    served = ServedModels(sessions, SITE, defaults={"risk": get_risk_model("trend", horizon_s=300)})
    now = served.risk()
    assert (now.version, now.label, now.model.horizon_s) == (None, "risk default (trend)", 300)
    assert served.risk() is now  # nothing changed: the same object, nothing reloaded
    model, label = served.risk_model()
    assert label == "risk default (trend)" and model is now.model


def test_promote_and_rollback_are_served_at_the_next_round(sessions, files) -> None:
    served = ServedModels(sessions, SITE, defaults={"risk": TrendModel()})
    add_and_promote(sessions, files["good"], "good.pt")
    first = served.risk()
    assert (first.version, first.label, first.model.name) == (1, "risk v1", "learned")
    assert served.risk() is first  # cached by version id
    t, values = np.arange(0.0, 301.0, 10.0), 0.5 + 0.05 * np.arange(31) / 6
    assert first.model.assess(t, values, limit=1.0).model == "learned"  # the tiny model judges, not the fall-back
    changes, _ = risk_round(served, sessions)
    assert [c for c in changes if c.alert.rule_id == "model-health"] == [] and model_health(sessions) is None

    add_and_promote(sessions, files["other"], "other.pt")
    assert served.risk().version == 2
    with sessions() as s, s.begin():
        store.rollback(s, SITE, "risk", actor="test", now=NOW)
    assert (served.risk().version, served.risk().label) == (1, "risk v1")


def test_a_model_answering_nan_falls_back_and_raises_model_health(sessions, files) -> None:
    metrics = ServiceMetrics()
    served = ServedModels(sessions, SITE, defaults={"risk": TrendModel()}, metrics=metrics)
    add_and_promote(sessions, files["nan"], "nan.pt")
    changes, _ = risk_round(served, sessions)
    risk = next(c.alert for c in changes if c.alert.rule_id == "risk.methane")
    assert risk.evidence["model"] == "trend" and risk.evidence["probability"] >= 0.8  # warning did not stop
    health = next(c.alert for c in changes if c.alert.rule_id == "model-health")
    assert health.title == "Risk model v1 failing: warnings use the trend model"
    assert health.message.startswith("1 assessment(s) failed in the last round (not finite: probability=nan")
    assert health.evidence["status"] == "bad_output" and health.severity == "warning"
    assert metrics.model_failures_total.labels("risk")._value.get() == 1

    again, _ = risk_round(served, sessions, NOW + timedelta(seconds=30))
    assert [c.kind for c in again if c.alert.rule_id == "model-health"] == []  # one alert, updated, not a second
    assert metrics.model_failures_total.labels("risk")._value.get() == 2

    add_and_promote(sessions, files["good"], "good.pt")  # a working version: the alert clears
    cleared, _ = risk_round(served, sessions, NOW + timedelta(seconds=60))
    assert [(c.kind, c.alert.key) for c in cleared if c.alert.rule_id == "model-health"] == [
        ("resolved", "model-health:risk")
    ]
    assert model_health(sessions).state == "resolved"


def test_a_version_that_no_longer_loads_falls_back_to_trend(sessions, files, tmp_path) -> None:
    """A version stored by a newer mineguard (model format 2) that this code cannot read."""
    path = tmp_path / "future.pt"
    path.write_bytes(files["good"])
    torch.save({**torch.load(path, weights_only=True), "format": 2}, path)
    data = path.read_bytes()
    metrics = ServiceMetrics()
    served = ServedModels(sessions, SITE, defaults={"risk": TrendModel()}, metrics=metrics)
    with sessions() as s, s.begin():
        s.add(ModelArtifact(sha256=store.sha256_of(data), size=len(data), data=data, created_at=NOW))
        row = ModelVersion(
            kind="risk",
            site_id=SITE,
            version=1,
            sha256=store.sha256_of(data),
            filename="future.pt",
            training_data="x",
            training_data_sha256="0" * 64,
            code_version="mineguard 9.0",
            metrics={},
            created_by="test",
            created_at=NOW,
        )  # as a newer version of mineguard added it: nothing here can check it
        s.add(row)
        s.flush()
        s.add(ActiveModel(kind="risk", site_id=SITE, version_id=row.id, activated_by="test", activated_at=NOW))
    changes, now = risk_round(served, sessions)
    assert now.label == "risk v1 (fall-back: trend)" and "format 2" in now.load_problem
    assert next(c.alert for c in changes if c.alert.rule_id == "risk.methane").evidence["model"] == "trend"
    health = next(c.alert for c in changes if c.alert.rule_id == "model-health")
    assert health.title == "Risk model v1 does not load: warnings use the trend model"
    assert "future.pt: does not load as a risk model" in health.message
    assert "roll back (`mineguard models rollback risk`)" in health.message
    assert metrics.model_failures_total.labels("risk")._value.get() == 1  # counted once, not every round
    risk_round(served, sessions, NOW + timedelta(seconds=30))
    assert metrics.model_failures_total.labels("risk")._value.get() == 1

    add_and_promote(sessions, files["good"], "good.pt")
    _, now = risk_round(served, sessions, NOW + timedelta(seconds=60))
    assert now.label == "risk v2" and model_health(sessions).state == "resolved"


def test_a_version_that_failed_to_load_for_a_passing_reason_is_tried_again(sessions, files, monkeypatch) -> None:
    """A full disk or a database hiccup passes: the version is loaded again after ``retry_load_s``."""
    served = ServedModels(sessions, SITE, defaults={"risk": TrendModel()}, retry_load_s=0.0)
    add_and_promote(sessions, files["good"], "good.pt")
    real_load = store.load_version

    def full_disk(session, row):
        raise OSError("No space left on device")

    monkeypatch.setattr(store, "load_version", full_disk)
    changes, now = risk_round(served, sessions)
    assert now.label == "risk v1 (fall-back: trend)" and "No space left" in now.load_problem
    assert any(c.alert.rule_id == "model-health" and c.kind == "raised" for c in changes)
    monkeypatch.setattr(store, "load_version", real_load)
    changes, now = risk_round(served, sessions, NOW + timedelta(seconds=30))
    assert now.label == "risk v1" and now.load_problem is None
    assert model_health(sessions).state == "resolved"
    waiting = ServedModels(sessions, SITE, defaults={"risk": TrendModel()}, retry_load_s=3600.0)
    monkeypatch.setattr(store, "load_version", full_disk)
    assert waiting.risk().load_problem is not None
    monkeypatch.setattr(store, "load_version", real_load)
    assert waiting.risk().load_problem is not None  # not tried again before its time
