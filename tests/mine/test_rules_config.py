"""Regulation defaults table and rule config validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mineguard.mine.rules import DEFAULT_THRESHOLDS, RulesConfig, Severity, ThresholdRule, defaults_for
from mineguard.mine.rules.config import CombinedRule, Condition
from mineguard.mine.units import CANONICAL_UNITS

REG_FILES = ("1-煤矿建设安全规程.txt", "8-煤矿的井工开采通风技术条件.txt", "64-煤矿安全监控系统通用技术要求.txt")


def test_severity_ordered():
    assert Severity.INFO < Severity.WARNING < Severity.CRITICAL < Severity.EMERGENCY
    assert max([Severity.CRITICAL, Severity.EMERGENCY, Severity.WARNING]) is Severity.EMERGENCY
    assert Severity.WARNING == "warning"


@pytest.mark.parametrize("row", DEFAULT_THRESHOLDS, ids=lambda r: f"{r.kind}-{r.zone_kind}-{r.level}")
def test_defaults_cited_and_canonical(row):
    assert row.unit == CANONICAL_UNITS[row.kind]
    if row.is_regulation:
        assert any(f in row.source for f in REG_FILES), row.source
        assert "条" in row.source or "." in row.source.split(":")[0]  # article or clause number
        assert "'" in row.source and "(" in row.source  # quoted Chinese phrase and English gloss
    else:
        assert row.kind in {"dust", "roof_pressure", "vibration", "o2"}


def test_known_regulation_values():
    face = {(t.level, t.value) for t in defaults_for("methane", "working_face")}
    assert {(Severity.WARNING, 1.0), (Severity.CRITICAL, 1.5)} <= face
    assert [t.value for t in defaults_for("co")] == [24.0]
    assert defaults_for("o2", op="<=")[0].value == 20.0
    assert [t.value for t in defaults_for("temperature", "working_face")] == [26.0, 30.0]
    assert [t.value for t in defaults_for("methane", "airway")] == [0.75, 1.0]
    assert defaults_for("methane", "refuge") == defaults_for("methane")  # falls back to generic
    assert all(t.is_regulation is False for t in defaults_for("vibration"))


def test_from_regulation_builds_levels():
    rule = ThresholdRule.from_regulation("ch4", "methane", "working_face", for_s=5)
    assert [(lv.severity, lv.threshold) for lv in rule.levels] == [
        (Severity.WARNING, 1.0),
        (Severity.CRITICAL, 1.5),
        (Severity.EMERGENCY, 2.0),
    ]
    assert rule.levels[0].source and "第四百九十八条" in rule.levels[0].source
    with pytest.raises(ValueError, match="no default thresholds"):
        ThresholdRule.from_regulation("x", "humidity")


def test_unknown_key_is_clear():
    with pytest.raises(ValidationError, match=r"Extra inputs are not permitted") as exc:
        ThresholdRule.model_validate(
            {"id": "r", "kind": "methane", "levels": [{"severity": "warning", "threshold": 1}], "for_seconds": 3}
        )
    assert "for_seconds" in str(exc.value)


def test_bad_op_is_clear():
    with pytest.raises(ValidationError) as exc:
        Condition.model_validate({"signal": "methane", "op": "=>", "value": 1})
    assert "op" in str(exc.value) and "rising" in str(exc.value)


@pytest.mark.parametrize(
    ("cond", "msg"),
    [
        ({"signal": "methane", "op": "rising"}, "needs 'rate_per_min'"),
        ({"signal": "methane", "op": ">="}, "needs 'value'"),
        ({"signal": "fan.running", "op": ">=", "value": True}, "true/false"),
        ({"signal": "vision.no_helmet", "op": "present", "value": 1}, "neither"),
    ],
)
def test_condition_validation_messages(cond, msg):
    with pytest.raises(ValidationError, match=msg):
        Condition.model_validate(cond)


def test_threshold_rule_validation():
    lv = [{"severity": "critical", "threshold": 1.5}, {"severity": "warning", "threshold": 1.0}]
    with pytest.raises(ValidationError, match="lowest to highest"):
        ThresholdRule.model_validate({"id": "r", "kind": "methane", "levels": lv})
    lv = [{"severity": "warning", "threshold": 1.5}, {"severity": "critical", "threshold": 1.0}]
    with pytest.raises(ValidationError, match="must increase"):
        ThresholdRule.model_validate({"id": "r", "kind": "methane", "levels": lv})
    with pytest.raises(ValidationError, match="not both"):
        ThresholdRule.model_validate({"id": "r", "kind": "co", "zone": "z", "zone_kind": "roadway", "levels": [lv[0]]})


def test_rules_config_sections_and_unique_ids():
    data = {
        "thresholds": [{"id": "a", "kind": "co", "levels": [{"severity": "warning", "threshold": 24}]}],
        "combined": [{"id": "b", "severity": "critical", "any": [{"signal": "x", "op": "present"}]}],
    }
    cfg = RulesConfig.model_validate(data)
    assert cfg.regulation_defaults and cfg.combined[0].any_[0].signal == "x"
    assert cfg.dump()["combined"][0]["any"][0]["signal"] == "x"  # written back under the YAML name
    data["combined"][0]["id"] = "a"
    with pytest.raises(ValidationError, match="rule id 'a' is used twice"):
        RulesConfig.model_validate(data)
    with pytest.raises(ValidationError, match="at least one condition"):
        CombinedRule.model_validate({"id": "c", "severity": "warning"})
