"""Rules swapped while the pipeline runs: unchanged rules keep their state, changed rules' open alerts
are resolved and the next reading is judged by the new rule; a rejected set changes nothing. Alert
evidence names the inputs that caused it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mineguard.mine.rules.site_rules import RulesConfig, RulesError
from mineguard.mine.site import load_site
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.storage.db import session_factory
from mineguard.services.storage.models import Alert
from pipelines import T0, Reading


def methane(values: list[float], start_s: float = 0.0, seq0: int = 1, device: str = "ch4-1101-t") -> list[Reading]:
    return [
        Reading(device, "methane", T0 + timedelta(seconds=start_s + 5 * i), v, seq0 + i) for i, v in enumerate(values)
    ]


def sample_rules(**edits) -> RulesConfig:
    data = load_site().rules.dump()
    data.update(edits)
    return RulesConfig.model_validate(data)


FACE_WARNING_05 = {
    "id": "methane.working_face",
    "kind": "methane",
    "zone_kind": "working_face",
    "levels": [{"severity": "warning", "threshold": 0.5}],
    "for_s": 0,
    "clear_for_s": 0,
}


@pytest.fixture
def pipeline(engine, session) -> AlertPipeline:
    return AlertPipeline.for_site(session_factory(engine))


def test_threshold_evidence_names_the_reading(pipeline: AlertPipeline) -> None:
    raised = pipeline.observe_readings(methane([1.6, 1.6, 1.6]))
    assert [c.kind for c in raised] == ["raised"]
    assert raised[0].alert.evidence["inputs"] == ["reading:ch4-1101-t#3"]


def test_combined_evidence_maps_each_condition_to_its_input(pipeline: AlertPipeline) -> None:
    fan = [
        pipeline.observe_signal("fan-f2.running", T0 + timedelta(seconds=s), 0.0, "return_airway", f"reading:fan#{s}")
        for s in range(0, 20, 2)
    ]
    assert not any(fan)
    rising = methane([0.5 + 0.1 * i for i in range(6)], start_s=0.0)  # 1.2 %/min over 25 s
    changes = pipeline.observe_readings(rising)
    gas = [c for c in changes if c.alert.rule_id == "gas-rising-fan-stopped"]
    assert gas and gas[0].kind == "raised"
    inputs = gas[0].alert.evidence["inputs"]
    assert inputs == {"methane@face_1101": "reading:ch4-1101-t#6", "fan-f2.running@return_airway": "reading:fan#18"}


def test_unchanged_rule_keeps_its_state_and_alert(pipeline: AlertPipeline, engine) -> None:
    raised = pipeline.observe_readings(methane([1.6, 1.6, 1.6]))
    alert_id = raised[0].alert.id
    other = {
        "id": "co.roadway",
        "kind": "co",
        "zone_kind": "roadway",
        "levels": [{"severity": "warning", "threshold": 10}],
    }
    assert pipeline.replace_rules(sample_rules(thresholds=[other]), version=2) == []
    assert pipeline.version == 2
    again = pipeline.observe_readings(methane([1.6, 1.6], start_s=15, seq0=4))
    assert again == []  # still the same raised level: no new alert, no change
    with session_factory(engine)() as s:
        assert s.get(Alert, alert_id).state == "open"


def test_changed_rule_resolves_its_alert_and_judges_the_next_reading_by_the_new_value(
    pipeline: AlertPipeline, engine
) -> None:
    assert pipeline.observe_readings(methane([0.6, 0.6, 0.6])) == []  # under the regulation's 1.0 %
    raised = pipeline.observe_readings(methane([1.6, 1.6, 1.6], start_s=15, seq0=4))
    old_alert = raised[0].alert.id
    changes = pipeline.replace_rules(sample_rules(thresholds=[FACE_WARNING_05]), version=7)
    assert [(c.kind, c.alert.id) for c in changes] == [("resolved", old_alert)]
    assert changes[0].alert.resolution == "rule changed in version 7"
    nxt = pipeline.observe_readings(methane([0.6], start_s=30, seq0=7))
    assert [(c.kind, c.alert.severity, c.alert.rule_id) for c in nxt] == [("raised", "warning", "methane.working_face")]
    assert nxt[0].alert.id != old_alert and nxt[0].alert.evidence["threshold"] == 0.5
    with session_factory(engine)() as s:
        states = dict(s.execute(select(Alert.id, Alert.state)).all())
    assert states == {old_alert: "resolved", nxt[0].alert.id: "open"}


def test_rate_series_continue_across_a_swap(pipeline: AlertPipeline) -> None:
    pipeline.observe_readings(methane([0.5, 0.6, 0.7]))
    pipeline.replace_rules(sample_rules(names={"methane": "CH4"}), version=3)
    changes = pipeline.observe_readings(methane([1.6, 1.6, 1.6], start_s=15, seq0=4))
    face = [c for c in changes if c.alert.rule_id == "methane.working_face"]
    assert face[0].alert.message.startswith("CH4 1.60 % in Longwall face 1101")
    assert face[0].alert.evidence["rate_per_min"] > 1.0  # the slope reaches back before the swap


def test_rejected_rules_change_nothing(pipeline: AlertPipeline) -> None:
    before = (pipeline.engine, pipeline.version, pipeline.texts)
    bad = dict(FACE_WARNING_05, zone="face_9999", zone_kind=None)
    with pytest.raises(RulesError, match=r"thresholds\[0\]\.zone: zone 'face_9999'"):
        pipeline.replace_rules(sample_rules(thresholds=[bad]), version=9)
    assert (pipeline.engine, pipeline.version, pipeline.texts) == before
    assert pipeline.observe_readings(methane([0.6, 0.6, 0.6])) == []  # still the regulation's 1.0 %
