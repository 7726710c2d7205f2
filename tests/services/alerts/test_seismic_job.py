"""Seismic hazard warnings at a shift's end from stored geophone readings: a burst of geophone energy on
longwall 1101 in the day shift raises ``seismic:face_1101`` with the features as evidence, the quiet
longwall 1102 stays quiet, the same shift is judged once, the warning ends with the site's action
(else a generic one), and a model answering NaN falls back to the rule
(the warning still comes) and raises the model-health alert; a broken file in the registry does the same."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.shifts import shift_periods
from mineguard.mine.site import load_site
from mineguard.services.alerts.seismic_job import SeismicJob
from mineguard.services.alerts.served_models import ServedModels
from mineguard.services.model_store import store
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert, ModelArtifact
from mineguard.warning.seismic_served import FEATURES, FallbackSeismicModel, SeismicLogistic, SeismicRule

from .conftest import store_readings

SITE = "sample-coal-mine"
END = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # the sample site's day shift (06:00-14:00, coal-getting) ends
NOW = END + timedelta(minutes=1)


def store_shifts(sessions, device: str, kind: str, unit: str, per_shift: list[float]) -> None:
    """One reading an hour through each of the site's last len(per_shift) shifts up to END, oldest first."""
    site = load_site()
    windows = list(shift_periods(site.shifts, site.timezone, END - timedelta(days=7), END))[-len(per_shift) :]
    times, values = [], []
    for window, total in zip(windows, per_shift, strict=True):
        times += [window.start + timedelta(minutes=30 + 60 * h) for h in range(8)]
        values += [total / 8] * 8
    store_readings(sessions, device, kind, unit, times, values)


def geophones(engine) -> object:
    sessions = session_factory(engine)
    store_shifts(sessions, "geo-1101-a", "geophone_energy", "J", [8000.0] * 8 + [80000.0])  # +900 %: level d
    store_shifts(sessions, "geo-1101-a-puls", "geophone_pulses", "count", [400.0] * 8 + [600.0])
    store_shifts(sessions, "geo-1102-a", "geophone_energy", "J", [8000.0] * 9)  # steady
    store_readings(sessions, "seis-1101", "seismic_energy", "J", [END - timedelta(hours=1)], [3000.0])
    return sessions


def test_a_geophone_burst_raises_a_seismic_warning_once(engine, session) -> None:  # `session` loads the site
    sessions = geophones(engine)
    job = SeismicJob(sessions, SITE, texts=load_site().early_warning)
    changes = job.round(NOW, FallbackSeismicModel(SeismicRule(), SeismicRule()))
    assert [(c.kind, c.alert.key) for c in changes] == [("raised", "seismic:face_1101")]
    alert = changes[0].alert
    assert alert.title == "Seismic hazard high on Longwall face 1101 next shift (p=1.00)"
    assert alert.message.startswith(
        "seismic hazard high on Longwall face 1101 next shift, p=1.00 (ghazard-rule, warns from 0.33) — the day "
        "shift (coal-getting): geophone energy 80,000 J (+900 % on the last 8 shifts), 600 pulses (+50 %), 1 bump(s)"
    )
    assert alert.message.endswith(
        "— check the destress measures and keep people out of the longwall's danger area"  # the sample site's action
    )
    features = alert.evidence["features"]
    assert (features["genergy"], features["gdenergy"], features["nbumps3"], features["shift"]) == (80000, 900, 1, "W")
    assert alert.evidence["shift"]["name"] == "day" and alert.evidence["previous_shifts"] == 8
    assert job.round(NOW + timedelta(minutes=1), SeismicRule()) == []  # the same shift: judged once


def test_a_restarted_service_does_not_raise_the_same_shifts_warning_again(engine, session) -> None:
    sessions = geophones(engine)
    (raised,) = SeismicJob(sessions, SITE).round(NOW, SeismicRule())
    # the operator resolves it; the service restarts (a new job: nothing judged in memory) in the same shift
    with sessions() as s, s.begin():
        s.get(Alert, raised.alert.id).state = "resolved"
    assert SeismicJob(sessions, SITE).round(NOW + timedelta(minutes=5), SeismicRule()) == []
    with sessions() as s:
        assert len(s.scalars(select(Alert).where(Alert.key == "seismic:face_1101")).all()) == 1
    # the next shift ends with the burst still in the last 9 shifts' readings: judged, and warned anew
    evening = NOW + timedelta(hours=8)
    store_readings(
        sessions,
        "geo-1101-a",
        "geophone_energy",
        "J",
        [END + timedelta(hours=h) for h in range(1, 8)],
        [20000.0] * 7,
        seq0=1000,
    )
    changes = SeismicJob(sessions, SITE).round(evening, SeismicRule())
    assert [(c.kind, c.alert.key) for c in changes] == [("raised", "seismic:face_1101")]
    assert changes[0].alert.id != raised.alert.id


@pytest.mark.parametrize(
    ("texts", "action"),
    [
        pytest.param(
            EarlyWarningConfig(seismic_action="stop cutting on {zone} until the seismologist clears it"),
            "stop cutting on Longwall face 1101 until the seismologist clears it",
            id="site-text",
        ),
        pytest.param(None, "check Longwall face 1101", id="no-early-warning-section"),
    ],
)
def test_the_warning_ends_with_the_sites_action_else_a_generic_one(engine, session, texts, action) -> None:
    sessions = geophones(engine)
    (change,) = SeismicJob(sessions, SITE, texts=texts).round(NOW, SeismicRule())
    assert change.alert.message.endswith(f"ghazard-style rule level d — {action}")


def test_a_model_answering_nan_falls_back_to_the_rule_with_model_health(engine, session) -> None:
    sessions = geophones(engine)
    n = len(FEATURES)
    nan_model = SeismicLogistic(np.zeros(n), np.ones(n), np.full(n, math.nan), 0.0, 0.5)
    guarded = FallbackSeismicModel(nan_model, SeismicRule())
    changes = SeismicJob(sessions, SITE).round(NOW, guarded)
    assert [c.alert.evidence["rule_level"] for c in changes] == ["d"]  # the warning did not stop
    assert changes[0].alert.message.startswith("seismic hazard high on Longwall face 1101 next shift, p=1.00 (ghazard")
    assert guarded.take_failures() == ["probability nan is not in [0, 1]"] * 2  # both longwalls


def test_a_broken_registry_version_is_served_by_the_rule_and_raises_model_health(engine, session, tmp_path) -> None:
    sessions = geophones(engine)
    n = len(FEATURES)
    good = SeismicLogistic(np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.4, {"data": "test"}).save(tmp_path / "m.json")
    with sessions() as s, s.begin():
        row = store.add(s, SITE, "seismic", good.read_bytes(), filename="m.json", actor="test", now=NOW)
        store.promote(s, SITE, "seismic", row.version, actor="test", now=NOW)
    served = ServedModels(sessions, SITE, defaults={})
    now = served.get("seismic")
    assert now.label == "seismic v1" and now.load_problem is None
    changes = SeismicJob(sessions, SITE).round(NOW, now.model)  # p = 0.5 >= 0.4 on both longwalls
    assert sorted(c.alert.key for c in changes) == ["seismic:face_1101", "seismic:face_1102"]
    assert changes[0].alert.evidence["probability"] == 0.5

    with sessions() as s, s.begin():  # the stored file is damaged: the rule serves, model health is raised
        s.execute(ModelArtifact.__table__.update().values(data=b"{not json"))
    served = ServedModels(sessions, SITE, defaults={})
    broken = served.get("seismic")
    assert broken.label == "seismic v1 (fall-back: ghazard-rule)" and "not a readable JSON file" in broken.load_problem
    health = served.check_health(broken, NOW)
    assert [c.alert.title for c in health] == [
        "Seismic hazard model v1 does not load: warnings use the ghazard-rule model"
    ]
    with sessions() as s:
        assert s.scalar(select(Alert.state).where(Alert.key == "model-health:seismic")) == "open"
