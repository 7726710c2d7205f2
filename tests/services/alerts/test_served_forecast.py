"""The ``forecast`` kind in the registry and in the risk round: a stored forecast version round-trips, a bad one
is refused naming the file and the fix, the active one judges the sensor kind it serves (the risk model judges
the others), and one answering NaN or failing to load falls back to the risk model with a model-health alert
naming the model used. The calls are those of ``ServiceRuntime._risk_round``."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.alerts.served_models import ServedModels
from mineguard.services.model_store import store
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import ActiveModel, Alert, Forecast, ModelArtifact, ModelVersion
from mineguard.warning.risk import TrendModel
from tiny_forecasters import forecast_file, nan_forecast_file

from .conftest import NOW, store_readings

SITE = "sample-coal-mine"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("forecasts")
    good, bad = forecast_file(folder), nan_forecast_file(folder)
    broken = json.loads(good.read_text())
    broken["boosters"] = [["not a tree"]]
    return {"good": good.read_bytes(), "nan": bad.read_bytes(), "broken": json.dumps(broken).encode()}


@pytest.fixture
def sessions(engine, session):  # `session` loads the sample site
    sessions = session_factory(engine)
    times = [NOW - timedelta(seconds=30 * i) for i in range(20, 0, -1)]  # 10 min, every 30 s
    store_readings(sessions, "co-belt", "co", "ppm", times, [21.5 + 0.1 * k for k in range(20)])  # 23.4 ppm, rising
    methane = [0.5 + 0.05 * k / 2 for k in range(20)]
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, methane)
    return sessions


def risk_round(served: ServedModels, sessions, t=NOW):
    models = served.risk_models()
    changes = check_risk(sessions, t, model=models.risk.model, model_label=models.risk.label, by_kind=models.by_kind())
    for kind in models.all():
        changes += served.check_health(kind, t)
    return changes, models


def alert(changes, rule: str) -> Alert:
    return next(c.alert for c in changes if c.alert.rule_id == rule)


def test_round_trip_and_refusals(sessions, files) -> None:
    with sessions() as s, s.begin():
        with pytest.raises(store.ModelStoreError, match="the file does not say what it was trained on"):
            store.add(s, SITE, "forecast", files["good"], filename="f.json", actor="t", now=NOW)
        row = store.add(
            s,
            SITE,
            "forecast",
            files["good"],
            filename="f.json",
            actor="t",
            now=NOW,
            training_data=store.TrainingData.described("ramp"),
        )
        assert set(row.metrics) == {"best_iterations_0", "best_iterations_1", "best_iterations_2"}
        model = store.load_version(s, row)
        t = NOW.timestamp() - 30.0 * np.arange(20)[::-1]
        assert model.forecast(t, 20 + 0.1 * np.arange(20)).predicted == pytest.approx([22.1, 22.5, 22.9], abs=1e-6)
        for name, data, message in [
            ("f.pt", files["good"], "f.pt: a forecast model file ends in .json — make one with `mineguard warn"),
            ("b.json", files["broken"], "b.json: does not load as a forecast model: not a saved LightGBM forecaster"),
            ("t.json", b"{}", "t.json: does not load as a forecast model: field 'serves' missing"),
        ]:
            with pytest.raises(store.ModelStoreError) as err:
                store.add(
                    s,
                    SITE,
                    "forecast",
                    data,
                    filename=name,
                    actor="t",
                    now=NOW,
                    training_data=store.TrainingData.described("x"),
                )
            assert str(err.value).startswith(message), str(err.value)


def test_the_active_forecast_judges_its_kind_and_the_risk_model_the_others(sessions, files) -> None:
    served = ServedModels(sessions, SITE, defaults={"risk": TrendModel()})
    none = served.risk_models()
    assert (none.forecast.label, none.forecast.version, none.by_kind()) == ("forecast: no active version", None, {})
    with sessions() as s, s.begin():
        row = store.add(
            s,
            SITE,
            "forecast",
            files["good"],
            filename="co.json",
            actor="t",
            now=NOW,
            training_data=store.TrainingData.described("ramp"),
        )
        store.promote(s, SITE, "forecast", row.version, actor="t", now=NOW)
    changes, models = risk_round(served, sessions)
    assert set(models.by_kind()) == {"co"} and models.forecast.label == "forecast v1"
    co = alert(changes, "risk.co")
    assert co.evidence["model"] == "lightgbm-forecast" and co.evidence["minutes_to_limit"] == pytest.approx(3.0)
    assert "lightgbm-forecast forecast: the 24 ppm limit in about 3 min" in co.message  # 23.4 -> 24 at 0.2/min
    assert alert(changes, "risk.methane").evidence["model"] == "trend"
    assert not [c for c in changes if c.alert.rule_id == "model-health"]
    with sessions() as s:
        labels = {f.sensor_kind: f.model for f in s.scalars(select(Forecast))}
    assert labels == {"co": "forecast v1", "methane": "risk default (trend)"}


@pytest.mark.parametrize(
    ("file", "title", "status"),
    [
        ("nan", "Forecast model v1 failing: warnings use the trend model", "bad_output"),
        ("broken", "Forecast model v1 does not load: warnings use the trend model", "load_failed"),
    ],
)
def test_a_failing_forecast_falls_back_to_the_risk_model(sessions, files, tmp_path, file, title, status) -> None:
    served = ServedModels(sessions, SITE, defaults={"risk": TrendModel()})
    with sessions() as s, s.begin():  # as a newer version added it: a broken one is not checked here
        data = files[file]
        s.add(ModelArtifact(sha256=store.sha256_of(data), size=len(data), data=data, created_at=NOW))
        row = ModelVersion(
            kind="forecast",
            site_id=SITE,
            version=1,
            sha256=store.sha256_of(data),
            filename=f"{file}.json",
            training_data="x",
            training_data_sha256="0" * 64,
            code_version="t",
            metrics={},
            created_by="t",
            created_at=NOW,
        )
        s.add(row)
        s.flush()
        s.add(ActiveModel(kind="forecast", site_id=SITE, version_id=row.id, activated_by="t", activated_at=NOW))
    changes, _ = risk_round(served, sessions)
    co = alert(changes, "risk.co")
    assert co.evidence["model"] == "trend"  # warning did not stop: the risk model judged CO
    health = alert(changes, "model-health")
    assert (health.title, health.key, health.evidence["status"]) == (title, "model-health:forecast", status)
    assert "mineguard models rollback forecast" in health.message
