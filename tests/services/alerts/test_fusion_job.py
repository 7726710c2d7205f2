"""Multimodal warnings from the served ``multimodal`` model on each zone's live window: methane climbing in
Longwall face 1101 over the last minute raises ``fusion:face_1101:gas`` (rule ``fusion.gas``) with the window as
evidence while the flat face 1102 stays quiet; flat readings resolve it; with no active version nothing
serves; a model answering NaN or a file that no longer loads gives no fusion warning (an open one resolves)
and raises model health; camera events are counted per step and known label."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from mineguard.mine.site import load_site
from mineguard.services.alerts.fusion_job import check_fusion, live_windows
from mineguard.services.alerts.served_models import ServedModels
from mineguard.services.ingest.events import store_events
from mineguard.services.model_store import store
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert, ModelArtifact
from mineguard.warning.window_served import FusionAssessment, ServedWindowGBM
from tiny_window_gbm import CLIMB, FLAT, LABELS, STEP_S, STEPS, tiny_window_gbm, window_gbm_file

from .conftest import NOW, store_readings

SITE = "sample-coal-mine"
T0 = NOW - timedelta(hours=2)  # the first round


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> bytes:
    return window_gbm_file(tmp_path_factory.mktemp("multimodal")).read_bytes()


def minute(sessions, end, methane_1101: tuple[float, float], seq0: int) -> None:
    """One reading a step in the minute before ``end``: methane in faces 1101 (from..to) and 1102 (flat),
    temperature in 1101 at 20 degC."""
    times = [end - timedelta(seconds=STEP_S * (STEPS - k) - 5) for k in range(STEPS)]
    store_readings(sessions, "ch4-1101-t", "methane", "%", times, np.linspace(*methane_1101, STEPS), seq0)
    store_readings(sessions, "ch4-1102-t", "methane", "%", times, [FLAT] * STEPS, seq0)
    store_readings(sessions, "temp-1101", "temperature", "degC", times, [20.0] * STEPS, seq0)


def promoted(sessions, data: bytes) -> ServedModels:
    with sessions() as s, s.begin():
        row = store.add(s, SITE, "multimodal", data, filename="window_gbm.json", actor="test", now=T0)
        store.promote(s, SITE, "multimodal", row.version, actor="test", now=T0)
    return ServedModels(sessions, SITE, defaults={})


def test_methane_climbing_raises_a_fusion_warning_then_flat_readings_resolve_it(engine, session, model_bytes):
    sessions = session_factory(engine)
    served = promoted(sessions, model_bytes).get("multimodal")
    assert served.label == "multimodal v1" and served.load_problem is None
    minute(sessions, T0, CLIMB, 0)
    with sessions() as s:
        windows = {w.zone_id: w for w in live_windows(s, served.model.layout, T0)}
    assert sorted(windows) == ["face_1101", "face_1102"]  # the zones with a methane or temperature sensor reading
    w = windows["face_1101"].window
    np.testing.assert_allclose(w.sensors[:, 0], np.linspace(*CLIMB, STEPS))  # one reading a step: its value
    assert w.present == (True, True, False)  # a camera watches face 1101; no live text store
    assert windows["face_1102"].window.present == (True, False, False) and np.isnan(w.sensors).sum() == 0

    changes = check_fusion(sessions, T0, served.model, model_label=served.label)
    assert [(c.kind, c.alert.key, c.alert.rule_id) for c in changes] == [
        ("raised", "fusion:face_1101:gas", "fusion.gas")
    ]
    alert = changes[0].alert
    assert alert.title.startswith("Gas hazard developing in Longwall face 1101 (multimodal model, p=0.9")
    assert alert.message.startswith("multimodal v1 (window-gbm, trained on simulated episodes) sees gas developing")
    assert "risk level warning" in alert.message and "methane 0.3 → 1.2 %" in alert.message
    evidence = alert.evidence
    assert evidence["risk_level"] == "warning" and evidence["probability"] > 0.9 and evidence["threshold"] == 0.5
    assert evidence["window"]["sensors"]["methane"]["last"] == pytest.approx(1.2)
    assert evidence["window"]["present"] == {"sensors": True, "vision": True, "text": False}

    again = check_fusion(sessions, T0 + timedelta(seconds=5), served.model, model_label=served.label)
    assert again == []  # still holds: the same warning, nothing new to say
    with sessions() as s:
        assert s.scalar(select(Alert.state).where(Alert.key == "fusion:face_1101:gas")) == "open"
    later = T0 + timedelta(minutes=2)
    minute(sessions, later, (FLAT, FLAT), STEPS)
    changes = check_fusion(sessions, later, served.model, model_label=served.label)
    assert [(c.kind, c.alert.key) for c in changes] == [("resolved", "fusion:face_1101:gas")]


def test_with_no_active_version_nothing_serves(engine, session):
    sessions = session_factory(engine)
    minute(sessions, T0, CLIMB, 0)
    served = ServedModels(sessions, SITE, defaults={}).get("multimodal")
    assert (served.label, served.version, served.model.layout) == ("multimodal: no active version", None, None)
    assert check_fusion(sessions, T0, served.model, model_label=served.label) == []


def test_a_model_answering_nan_gives_no_fusion_warning_and_raises_model_health(engine, session, model_bytes):
    sessions = session_factory(engine)
    models = promoted(sessions, model_bytes)
    served = models.get("multimodal")
    minute(sessions, T0, CLIMB, 0)
    assert [c.kind for c in check_fusion(sessions, T0, served.model, model_label=served.label)] == ["raised"]

    def nan(data, vectors, **_):
        return np.full((len(data), 6), np.nan), np.full((len(data), 4), np.nan)

    served.model.primary.model.predict_proba = nan  # the loaded booster now answers NaN
    changes = check_fusion(sessions, T0 + timedelta(seconds=30), served.model, model_label=served.label)
    assert [(c.kind, c.alert.key) for c in changes] == [("resolved", "fusion:face_1101:gas")]  # no fusion warning
    (health,) = models.check_health(served, T0 + timedelta(seconds=30))
    assert health.alert.key == "model-health:multimodal"
    assert health.alert.title == "Multimodal model v1 failing: warnings use the rules-only model"
    assert "2 assessment(s) failed" in health.alert.message and "are not in [0, 1]" in health.alert.message
    with sessions() as s:
        keys = set(s.scalars(select(Alert.key).where(Alert.state == "open")))
    assert "model-health:multimodal" in keys and "fusion:face_1101:gas" not in keys


def test_a_version_that_no_longer_loads_serves_nothing_and_raises_model_health(engine, session, model_bytes):
    sessions = session_factory(engine)
    promoted(sessions, model_bytes)
    minute(sessions, T0, CLIMB, 0)
    with sessions() as s, s.begin():  # the stored file is damaged
        s.execute(ModelArtifact.__table__.update().values(data=b"{not json"))
    models = ServedModels(sessions, SITE, defaults={})
    broken = models.get("multimodal")
    assert (
        broken.label == "multimodal v1 (fall-back: rules-only)"
        and "not a saved window-gbm model" in broken.load_problem
    )
    assert check_fusion(sessions, T0, broken.model, model_label=broken.label) == []
    (health,) = models.check_health(broken, T0)
    assert health.alert.title == "Multimodal model v1 does not load: warnings use the rules-only model"


def test_camera_events_of_the_zones_cameras_are_counted_per_step_and_unknown_labels_ignored(engine, session):
    sessions = session_factory(engine)
    minute(sessions, T0, CLIMB, 0)
    events = [
        {"source": "vision", "label": label, "t": (T0 - timedelta(seconds=s)).isoformat(), "device_id": "cam-face-1101"}
        for label, s in (
            ("no_helmet", 3),
            ("no_helmet", 4),
            ("person", 25),
            ("fire_extinguisher", 5),
            ("no_helmet", 90),
        )
    ]  # the last is before the window
    with sessions() as s, s.begin():
        assert not store_events(s, events, source="test", now=T0).rejected
    layout = ServedWindowGBM(tiny_window_gbm()).layout
    with sessions() as s:
        window = {w.zone_id: w for w in live_windows(s, layout, T0)}["face_1101"].window
    expected = np.zeros((STEPS, len(LABELS)))
    expected[STEPS - 1, LABELS.index("no_helmet")] = 2
    expected[STEPS - 3, LABELS.index("person")] = 1
    np.testing.assert_array_equal(window.vision, expected)


class Scripted:
    """A stand-in model whose answer the test sets: the hazard it sees, and whether it warns."""

    name = "scripted"

    def __init__(self, layout) -> None:
        self.layout, self.answer, self.any_hazard = layout, ("gas", True), 0.9

    def assess(self, window) -> FusionAssessment:
        hazard, warn = self.answer
        risk = {"normal": 0.7, "elevated": 0.1, "warning": 0.1, "alarm": 0.1}
        return FusionAssessment(hazard, 0.8, self.any_hazard, "normal", risk, 0.5, warn, self.name)


def test_a_new_most_likely_hazard_resolves_the_old_warning_and_raises_its_own(engine, session, model_bytes):
    """Rule id and title always name the hazard the alert is about: gas, then fire in the same zone."""
    sessions = session_factory(engine)
    layout = promoted(sessions, model_bytes).get("multimodal").model.layout
    minute(sessions, T0, (FLAT, FLAT), 0)
    model = Scripted(layout)
    first = check_fusion(sessions, T0, model, texts=load_site().early_warning)  # the sample site's actions
    assert sorted((c.kind, c.alert.key) for c in first) == [
        ("raised", "fusion:face_1101:gas"),
        ("raised", "fusion:face_1102:gas"),
    ]
    gas = next(c.alert for c in first if c.alert.key == "fusion:face_1101:gas")
    assert gas.message.endswith(
        "— check the methane sensors and the ventilation of Longwall face 1101; "
        "be ready to cut power and withdraw people"
    )
    model.answer = ("fire", True)
    changes = check_fusion(sessions, T0 + timedelta(seconds=5), model)
    face = [(c.kind, c.alert.key, c.alert.rule_id) for c in changes if c.alert.subject_id == "face_1101"]
    assert face == [
        ("resolved", "fusion:face_1101:gas", "fusion.gas"),
        ("raised", "fusion:face_1101:fire", "fusion.fire"),
    ]
    fire = next(c.alert for c in changes if c.alert.key == "fusion:face_1101:fire")
    assert fire.title.startswith("Fire hazard developing in Longwall face 1101")
    assert fire.message.endswith("— check Longwall face 1101")  # no site texts given: the generic action
    model.answer, model.any_hazard = ("ppe", False), 0.1
    changes = check_fusion(sessions, T0 + timedelta(seconds=10), model)
    assert sorted((c.kind, c.alert.key) for c in changes) == [
        ("resolved", "fusion:face_1101:fire"),
        ("resolved", "fusion:face_1102:fire"),
    ]


def test_an_open_warning_holds_until_p_falls_below_a_share_of_the_threshold(engine, session, model_bytes):
    """Threshold 0.5: raised at 0.9; at 0.45 (not warning, but over 0.8 x 0.5) it stays; at 0.35 it resolves;
    at 0.45 with nothing open, nothing is raised."""
    sessions = session_factory(engine)
    layout = promoted(sessions, model_bytes).get("multimodal").model.layout
    minute(sessions, T0, (FLAT, FLAT), 0)
    model = Scripted(layout)
    assert len(check_fusion(sessions, T0, model)) == 2  # faces 1101 and 1102
    model.answer, model.any_hazard = ("gas", False), 0.45
    assert check_fusion(sessions, T0 + timedelta(seconds=5), model) == []
    model.any_hazard = 0.35
    changes = check_fusion(sessions, T0 + timedelta(seconds=10), model)
    assert sorted((c.kind, c.alert.key) for c in changes) == [
        ("resolved", "fusion:face_1101:gas"),
        ("resolved", "fusion:face_1102:gas"),
    ]
    assert "p(any hazard)=0.35 below 0.40" in changes[0].alert.resolution
    model.any_hazard = 0.45
    assert check_fusion(sessions, T0 + timedelta(seconds=15), model) == []


def test_a_round_reads_the_open_fusion_warnings_once(engine, session, model_bytes, monkeypatch):
    """Whatever each zone's judgement needs (hold a suspected warning, resolve an old hazard's), the round
    queries the open fusion warnings once, not once per zone and question."""
    from mineguard.services.alerts import fusion_job

    calls: list[int] = []
    query = fusion_job.open_fusion_keys

    def counted(s):
        calls.append(1)
        return query(s)

    monkeypatch.setattr(fusion_job, "open_fusion_keys", counted)
    sessions = session_factory(engine)
    layout = promoted(sessions, model_bytes).get("multimodal").model.layout
    minute(sessions, T0, (FLAT, FLAT), 0)
    model = Scripted(layout)
    rounds = [(("gas", True), 0.9, 2), (("gas", False), 0.45, 0), (("fire", True), 0.9, 4), (("ppe", False), 0.1, 2)]
    for i, (answer, any_hazard, n_changes) in enumerate(rounds):
        model.answer, model.any_hazard = answer, any_hazard
        calls.clear()
        assert len(check_fusion(sessions, T0 + timedelta(seconds=5 * i), model)) == n_changes
        assert len(calls) == 1, f"round {i}: open fusion warnings queried {len(calls)} times for 2 zones"
