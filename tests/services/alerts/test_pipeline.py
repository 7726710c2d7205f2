"""Readings to alerts: a methane build-up at a face raises one alert with the evidence and the
action, escalates, and resolves when the air clears; a single spike raises nothing."""

from __future__ import annotations

from datetime import timedelta

from mineguard.mine.rules.site_rules import default_rules
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.storage.db import session_factory
from pipelines import T0, Reading


def _series(values: list[float], step_s: float = 5.0, device: str = "ch4-1101-t") -> list[Reading]:
    return [Reading(device, "methane", T0 + timedelta(seconds=i * step_s), v) for i, v in enumerate(values)]


def test_default_rules_cover_the_sample_site_with_citations() -> None:
    rules = {r.id: r for r in default_rules(["working_face", "airway", "roadway"], ["methane", "o2"])}
    face = rules["methane.working_face"]
    assert [(lv.severity.value, lv.threshold) for lv in face.levels] == [
        ("warning", 1.0),
        ("critical", 1.5),
        ("emergency", 2.0),
    ]
    assert all("煤矿" in lv.source for lv in face.levels[:2])
    assert rules["o2.roadway"].op == "<="


def test_methane_build_up_raises_escalates_and_clears(engine, session) -> None:
    changes = []
    pipeline = AlertPipeline.for_site(session_factory(engine), on_change=changes.append)
    spike = _series([0.4, 0.4, 1.8, 0.4, 0.4])
    assert pipeline.observe_readings(spike) == []  # one sample over the limit is not a hazard
    rising = [0.4 + 0.1 * i for i in range(16)]  # 0.4 → 1.9 % over 75 s
    build_up = [
        Reading("ch4-1101-t", "methane", T0 + timedelta(minutes=5, seconds=5 * i), v) for i, v in enumerate(rising)
    ]
    raised = pipeline.observe_readings(build_up)
    assert [c.kind for c in raised] == ["raised", "updated"]
    alert = raised[-1].alert
    assert alert.severity == "critical" and alert.zone_id == "face_1101"
    assert alert.message.startswith("Methane 1.")
    assert "in Longwall face 1101" in alert.message and "rising" in alert.message
    assert alert.message.endswith("stop work, cut power and withdraw people from Longwall face 1101")
    assert pipeline.tick(alert.next_escalation_at + timedelta(seconds=1))[-1].kind == "escalated"
    clean = [Reading("ch4-1101-t", "methane", T0 + timedelta(minutes=10, seconds=5 * i), 0.3) for i in range(20)]
    cleared = pipeline.observe_readings(clean)
    assert cleared and cleared[-1].kind == "resolved" and cleared[-1].alert.id == alert.id
    assert [c.kind for c in changes] == ["raised", "updated", "escalated", "resolved"]
