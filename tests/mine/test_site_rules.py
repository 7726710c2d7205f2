"""A site's rules as data: units converted to canonical, every name checked against the site with its key path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from mineguard.mine.rules.site_rules import (
    RulesConfig,
    RulesError,
    SiteFacts,
    build_rules,
    validate_against_site,
)
from mineguard.mine.site import SiteConfigError, load_site
from mineguard.warning.rules import RuleEngine

FACTS = SiteFacts.build(
    zones=[("face_a", "working_face"), ("road", "roadway"), ("return", "airway"), ("gate_a", "gate")],
    sensors=[
        ("methane", "face_a", None),
        ("methane", "return", None),
        ("temperature", "face_a", None),
        ("running", "return", "fan-1"),
        ("vibration", "face_a", "cutter-1"),
    ],
    assets=[("fan-1", "machine"), ("cutter-1", "machine"), ("miner-1", "person")],
)


def threshold(**kw) -> dict:
    return {"id": "ch4", "kind": "methane", "levels": [{"severity": "warning", "threshold": 0.8}], **kw}


def combined(*conditions: dict, **kw) -> dict:
    return {"id": "c", "severity": "critical", "all": list(conditions), **kw}


def problems_of(config: dict) -> dict[str, str]:
    """Each problem's message by its key path, in the order found."""
    return {p.path: p.message for p in validate_against_site(RulesConfig.model_validate(config), FACTS)}


def paths(config: dict) -> list[str]:
    return list(problems_of(config))


def check_problems(config: dict, expected: dict[str, str]) -> None:
    """``config``'s problems are exactly at ``expected``'s key paths, in that order, and each message
    contains the text given there ("" = any message)."""
    found = problems_of(config)
    assert list(found) == list(expected)
    for path, text in expected.items():
        assert text in found[path], (path, found[path])


def test_threshold_units_are_converted_to_canonical() -> None:
    rule = RulesConfig.model_validate(
        {
            "thresholds": [
                threshold(unit="ppm", clear_hysteresis=1000, levels=[{"severity": "warning", "threshold": 8000}])
            ]
        }
    ).thresholds[0]
    assert rule.unit == "ppm" and rule.levels[0].threshold == 8000  # kept as written, for the editor
    canonical = rule.canonical()
    assert canonical.unit == "%" and canonical.levels[0].threshold == pytest.approx(0.8)
    assert canonical.clear_hysteresis == pytest.approx(0.1)
    assert canonical.canonical() == canonical  # idempotent
    hot = RulesConfig.model_validate(
        {
            "thresholds": [
                threshold(id="t", kind="temperature", unit="degF", levels=[{"severity": "warning", "threshold": 86}])
            ]
        }
    )
    built = build_rules(hot, FACTS)
    assert [r.levels[0].threshold for r in built.rules if r.id == "t"] == [pytest.approx(30.0)]
    engine = RuleEngine(hot.thresholds)  # the engine converts too: it never sees a non-canonical value
    assert engine.rules[0].levels[0].threshold == pytest.approx(30.0)


def test_unknown_unit_or_kind_with_a_unit_is_an_error_on_the_unit_field() -> None:
    with pytest.raises(ValidationError) as caught:
        RulesConfig.model_validate({"thresholds": [threshold(unit="furlong")]})
    error = caught.value.errors()[0]
    assert error["loc"] == ("thresholds", 0, "unit")
    assert "'furlong' is not a known unit" in error["msg"] and "ppm" in error["msg"]
    with pytest.raises(ValidationError, match="no canonical unit for sensor kind 'smell'"):
        RulesConfig.model_validate({"thresholds": [threshold(kind="smell", unit="ppm")]})
    with pytest.raises(ValidationError, match="cannot be converted"):
        RulesConfig.model_validate({"thresholds": [threshold(unit="%LEL")]})


def test_names_the_site_lacks_are_listed_with_their_key_paths() -> None:
    config = {
        "thresholds": [
            threshold(),
            threshold(id="x", kind="smell"),
            threshold(id="y", zone="nowhere"),
            threshold(id="z", zone_kind="shaft"),
            threshold(id="w", kind="fan-1.vibration"),
        ],
        "actions": {"metane": {"warning": "check {zone}"}},
        "names": {"methane": "Methane", "co": "CO"},
    }
    check_problems(
        config,
        {
            "thresholds[1].kind": "known kinds: methane, running, temperature, vibration",
            "thresholds[2].zone": "known zones: face_a, gate_a, return, road",
            "thresholds[3].zone_kind": "no zone of kind 'shaft'",
            "thresholds[4].kind": "asset 'fan-1' has no 'vibration' sensor (its sensors: running)",
            "actions.metane": "",
            "names.co": "",
        },
    )
    with pytest.raises(RulesError) as caught:
        build_rules(RulesConfig.model_validate(config), FACTS)
    assert str(caught.value).startswith("thresholds[1].kind: kind 'smell' is not a sensor kind of the site")


def test_condition_signals() -> None:
    ok = [
        {"signal": "methane", "zone": "face_a", "op": "rising", "rate_per_min": 0.1},
        {"signal": "fan-1.running", "zone": "return", "op": "==", "value": 0},
        {"signal": "cutter-1.vibration", "zone": "face_a", "op": ">=", "value": 7.1},
        {"signal": "danger.approach", "zone": "face_a", "op": "<=", "value": 50},
        {"signal": "cutter-1.approach", "zone": "face_a", "op": "<=", "value": 5},
        {"signal": "cutter-1.closing", "zone": "face_a", "op": ">", "value": 0.5},
        {"signal": "vision.no_helmet", "zone": "gate_a", "op": "present"},
        {"signal": "tag.sos", "op": "present"},  # an event may come without a zone
    ]
    assert paths({"combined": [combined(*ok)]}) == []
    bad = [
        {"signal": "co", "zone": "road", "op": ">=", "value": 24},  # no such sensor kind
        {"signal": "fan-2.running", "zone": "return", "op": "==", "value": 0},  # no such asset or source
        {"signal": "fan-1.running", "zone": "face_a", "op": "==", "value": 0},  # fed in 'return' only
        {"signal": "danger.distance", "zone": "face_a", "op": "<=", "value": 5},
        {"signal": "miner-1.approach", "zone": "face_a", "op": "<=", "value": 5},  # a person, not a machine
        {"signal": "methane", "op": ">=", "value": 1},  # no zone: a sensor signal is always in one
        {"signal": "vision.NoHelmet", "zone": "gate_a", "op": "present"},
        {"signal": "methane", "zone": "nowhere", "op": ">=", "value": 1},
    ]
    config = {"combined": [combined(ok[0], zone="nowhere", any=bad)]}
    check_problems(
        config,
        {
            "combined[0].zone": "",
            "combined[0].any[0].signal": "",
            "combined[0].any[1].signal": "unknown signal 'fan-2.running'",
            "combined[0].any[2].zone": "observed in: return",
            "combined[0].any[3].signal": "",
            "combined[0].any[4].signal": "asset 'miner-1' has no 'approach' sensor",
            "combined[0].any[5].zone": "name the zone",
            "combined[0].any[6].signal": "",
            "combined[0].any[7].zone": "",
        },
    )


def test_action_texts_only_fill_the_zone() -> None:
    with pytest.raises(ValidationError, match=r"unknown placeholder\(s\) \['place'\]"):
        RulesConfig.model_validate({"actions": {"methane": {"warning": "leave {place}"}}})
    with pytest.raises(ValidationError, match="escalation"):
        RulesConfig.model_validate({"escalation": {"ack_timeout_s": {"warning": 0}}})
    ok = RulesConfig.model_validate({"actions": {"methane": {"warning": "leave {zone} {{now}}"}}})
    built = build_rules(ok, FACTS)
    assert built.action("methane", "warning") == "leave {zone} {{now}}"
    assert built.action("methane", "critical") == "inspect {zone}"  # the generic fallback


def test_own_threshold_replaces_the_regulation_default_of_the_same_id() -> None:
    own = threshold(id="methane.working_face", levels=[{"severity": "warning", "threshold": 0.5}])
    built = build_rules(RulesConfig.model_validate({"thresholds": [own]}), FACTS)
    ids = [r.id for r in built.rules]
    assert ids.count("methane.working_face") == 1 and "methane.airway" in ids and "temperature.working_face" in ids
    assert next(r for r in built.rules if r.id == "methane.working_face").levels[0].threshold == 0.5
    off = build_rules(RulesConfig.model_validate({"regulation_defaults": False, "thresholds": [own]}), FACTS)
    assert [r.id for r in off.rules] == ["methane.working_face"]
    clash = {
        "combined": [combined({"signal": "methane", "zone": "face_a", "op": ">=", "value": 1}, id="methane.airway")]
    }
    assert paths(clash) == ["combined[0].id"]


def test_sample_site_rules_are_data_and_fit_the_site() -> None:
    site = load_site()
    built = build_rules(site.rules, site.facts())
    combined_ids = [r.id for r in site.rules.combined]
    assert combined_ids == [
        "gas-rising-fan-stopped",
        "no-helmet-danger-zone",
        "belt-drive-fault",
        "roof-pressure-vibration",
        "no-helmet-at-gate",
        "restricted-entry-face-1101",
        "person-entering-gassy-face",
        "person-near-running-shearer",
        "camera-down-face-gate-1101",
        "camera-down-face-1101",
    ]
    assert "maintenance log: drive bearing replaced 2026-09-14" in site.rules.combined[2].action
    assert built.name("o2") == "Oxygen"
    assert built.action("methane", "critical") == "stop work, cut power and withdraw people from {zone}"
    assert built.escalation.ack_timeout_s["emergency"] == 30


def test_bad_rule_in_a_site_file_names_the_file_and_the_key_path(tmp_path: Path) -> None:
    data = copy.deepcopy(load_site().model_dump(mode="json"))
    data["rules"]["thresholds"] = [threshold(zone="face_9999")]
    data["rules"]["combined"][0]["all"][1]["signal"] = "fan-f9.running"
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(SiteConfigError) as caught:
        load_site(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 1 problem(s)")
    assert "rules.thresholds[0].zone: zone 'face_9999' is not a zone of the site" in message
    assert "rules.combined[0].all[1].signal: unknown signal 'fan-f9.running'" in message
    data["rules"] = {"thresholds": [threshold(unit="bananas")]}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(
        SiteConfigError, match=r"rules\.thresholds\[0\]\.unit: methane in 'bananas' is not a known unit"
    ):
        load_site(path)
