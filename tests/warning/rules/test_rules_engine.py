"""Known-answer tests of the streaming rule engine on hand-made time series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mineguard.mine.rules import CombinedRule, Severity, ThresholdRule
from mineguard.warning.rules import RuleEngine
from mineguard.warning.rules.engine import slope_per_min

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def methane_rule(**kw) -> ThresholdRule:
    base = {
        "id": "ch4-face",
        "kind": "methane",
        "zone": "face_1101",
        "levels": [{"severity": "warning", "threshold": 1.0}, {"severity": "critical", "threshold": 1.5}],
        "for_s": 10,
        "clear_hysteresis": 0.2,
        "clear_for_s": 20,
        "action": "Check {zone}: methane {value} % (>= {threshold})",
    }
    return ThresholdRule.model_validate({**base, **kw})


def feed(engine: RuleEngine, series, key="methane", zone="face_1101"):
    out = []
    for s, v in series:
        out.extend(engine.observe(key, at(s), v, zone))
    return out


def test_single_spike_never_fires():
    engine = RuleEngine([methane_rule()])
    out = feed(engine, [(0, 0.4), (5, 2.0), (10, 0.4), (15, 0.4), (20, 0.4)])
    assert out == []


def test_fires_after_for_s_once():
    engine = RuleEngine([methane_rule()])
    out = feed(engine, [(s, 1.1) for s in range(0, 60, 5)])
    assert [(t.state, t.severity, t.t) for t in out] == [("raised", Severity.WARNING, at(10))]
    tr = out[0]
    assert tr.zone == "face_1101" and tr.value == 1.1
    assert tr.evidence["threshold"] == 1.0 and tr.evidence["rate_per_min"] == 0.0
    assert tr.action == "Check face_1101: methane 1.1 % (>= 1.0)"


def test_escalation_warning_to_critical():
    engine = RuleEngine([methane_rule()])
    series = [(s, 1.1) for s in range(0, 20, 5)] + [(s, 1.6) for s in range(20, 45, 5)]
    out = feed(engine, series)
    assert [(t.state, t.severity, t.t) for t in out] == [
        ("raised", Severity.WARNING, at(10)),
        ("escalated", Severity.CRITICAL, at(30)),
    ]


def test_straight_to_critical_raises_critical():
    engine = RuleEngine([methane_rule()])
    out = feed(engine, [(s, 1.8) for s in range(0, 30, 5)])
    assert [(t.state, t.severity) for t in out] == [("raised", Severity.CRITICAL)]


def test_clear_with_hysteresis_no_flapping():
    engine = RuleEngine([methane_rule()])
    # raise, then wobble around 1.0 (inside the 0.2 hysteresis band): no clear, no re-raise
    wobble = [(s, 0.95 if (s // 5) % 2 else 1.05) for s in range(15, 120, 5)]
    out = feed(engine, [(0, 1.1), (5, 1.1), (10, 1.1), *wobble])
    assert [t.state for t in out] == ["raised"]
    # below 0.8 for less than clear_for_s: still active
    out = feed(engine, [(120, 0.7), (130, 0.7), (135, 1.0)])
    assert out == []
    # below 0.8 for clear_for_s: one clear
    out = feed(engine, [(140, 0.7), (150, 0.7), (160, 0.7), (170, 0.7)])
    assert [(t.state, t.severity, t.t) for t in out] == [("cleared", Severity.WARNING, at(160))]


def test_deescalates_then_clears():
    engine = RuleEngine([methane_rule(clear_for_s=0)])
    out = feed(engine, [(0, 1.6), (10, 1.6), (20, 1.2), (30, 0.5)])
    assert [(t.state, t.severity) for t in out] == [
        ("raised", Severity.CRITICAL),
        ("deescalated", Severity.WARNING),
        ("cleared", Severity.WARNING),
    ]


def test_minimum_rule_oxygen():
    rule = ThresholdRule.from_regulation("o2-low", "o2", for_s=5, clear_hysteresis=0.3, clear_for_s=0)
    engine = RuleEngine([rule])
    out = feed(engine, [(0, 20.9), (5, 19.8), (10, 19.8), (15, 20.1), (20, 20.4)], key="o2", zone="main_roadway")
    assert [(t.state, t.severity, t.t) for t in out] == [
        ("raised", Severity.WARNING, at(10)),
        ("cleared", Severity.WARNING, at(20)),
    ]


def test_zone_kind_scope_and_per_zone_state():
    rule = ThresholdRule.from_regulation("temp-face", "temperature", "working_face", for_s=0, clear_for_s=0)
    engine = RuleEngine([rule], zone_kinds={"face_1101": "working_face", "face_1102": "working_face"})
    out = engine.observe("temperature", at(0), 27.0, "face_1101")
    out += engine.observe("temperature", at(0), 31.0, "face_1102")
    out += engine.observe("temperature", at(0), 40.0, "main_roadway")  # not a working face
    assert [(t.zone, t.severity) for t in out] == [("face_1101", Severity.WARNING), ("face_1102", Severity.CRITICAL)]


def test_slope_known_answer():
    samples = [(at(60 * i), 0.5 + 0.1 * i) for i in range(5)]
    assert abs(slope_per_min(samples) - 0.1) < 1e-9
    assert slope_per_min(samples[:1]) is None


def methane_fan_rule() -> CombinedRule:
    return CombinedRule.model_validate(
        {
            "id": "ch4-rising-fan-off",
            "severity": "critical",
            "all": [
                {"signal": "methane", "zone": "face_1101", "op": "rising", "rate_per_min": 0.05, "window_s": 300},
                {"signal": "fan-f2.running", "op": "==", "value": False},
            ],
            "max_age_s": 120,
            "action": "Withdraw people from {zone}: methane rising {rate_per_min} %/min, fan F2 stopped",
        }
    )


def test_methane_rising_and_fan_stopped():
    engine = RuleEngine([methane_fan_rule()])
    out = engine.observe("fan-f2.running", at(0), True)
    for i in range(4):  # +0.1 % per minute while the fan runs: no alert
        out += engine.observe("methane", at(60 * i), 0.4 + 0.1 * i, "face_1101")
    assert out == []
    out = engine.observe("fan-f2.running", at(200), False)
    assert [(t.state, t.severity, t.zone) for t in out] == [("raised", Severity.CRITICAL, "face_1101")]
    assert abs(out[0].evidence["rate_per_min"] - 0.1) < 1e-9
    assert out[0].evidence["fan-f2.running"] is False
    assert out[0].action == "Withdraw people from face_1101: methane rising 0.1 %/min, fan F2 stopped"
    # still true: no second raise; fan back on: cleared
    assert engine.observe("methane", at(240), 0.8, "face_1101") == []
    out = engine.observe("fan-f2.running", at(250), True)
    assert [t.state for t in out] == ["cleared"]


def test_flat_methane_with_fan_stopped_does_not_fire():
    engine = RuleEngine([methane_fan_rule()])
    out = engine.observe("fan-f2.running", at(0), False)
    for i in range(4):
        out += engine.observe("methane", at(60 * i), 0.4, "face_1101")
    assert out == []


def helmet_rule() -> CombinedRule:
    return CombinedRule.model_validate(
        {
            "id": "no-helmet-danger",
            "severity": "warning",
            "zone": "face_1101",
            "all": [
                {"signal": "vision.no_helmet", "zone": "face_1101", "op": "present"},
                {"signal": "asset.zone_danger", "zone": "face_1101", "op": "==", "value": True},
            ],
            "max_age_s": 30,
        }
    )


def test_no_helmet_and_in_danger_zone():
    engine = RuleEngine([helmet_rule()])
    assert engine.observe("vision.no_helmet", at(0), True, "face_1101") == []
    out = engine.observe("asset.zone_danger", at(1), True, "face_1101")
    assert [(t.state, t.severity) for t in out] == [("raised", Severity.WARNING)]
    out = engine.observe("asset.zone_danger", at(2), False, "face_1101")
    assert [t.state for t in out] == ["cleared"]


def test_stale_signal_makes_combined_rule_false():
    engine = RuleEngine([helmet_rule()])
    engine.observe("vision.no_helmet", at(0), True, "face_1101")
    # the helmet detection is 40 s old (> max_age_s 30) when the danger flag arrives: unknown -> false
    assert engine.observe("asset.zone_danger", at(40), True, "face_1101") == []
    # a fresh detection makes it true; then time passes with no detection: it clears on tick
    assert [t.state for t in engine.observe("vision.no_helmet", at(41), True, "face_1101")] == ["raised"]
    engine.observe("asset.zone_danger", at(60), True, "face_1101")
    assert [t.state for t in engine.tick(at(80))] == ["cleared"]


def test_combined_for_s_debounce():
    rule = helmet_rule().model_copy(update={"for_s": 5.0})
    engine = RuleEngine([rule])
    engine.observe("vision.no_helmet", at(0), True, "face_1101")
    assert engine.observe("asset.zone_danger", at(0), True, "face_1101") == []
    assert engine.tick(at(3)) == []
    assert [t.state for t in engine.tick(at(5))] == ["raised"]


def test_out_of_order_sample_ignored():
    engine = RuleEngine([methane_rule(for_s=0)])
    assert [t.state for t in engine.observe("methane", at(10), 1.2, "face_1101")] == ["raised"]
    assert engine.observe("methane", at(5), 0.1, "face_1101") == []


def test_series_slope_uses_only_its_window():
    engine = RuleEngine([methane_fan_rule()])
    for i in range(600):  # flat for 5 min, then +0.6 %/min for the last minute
        engine.observe("methane", at(0.5 * i), 0.4 if i < 480 else 0.4 + 0.005 * (i - 480), "face_1101")
    series = engine._series[("methane", "face_1101")]
    assert abs(series.slope(at(299.5), 60) - 0.6) < 0.05
    assert abs(series.slope(at(299.5), 20) - 0.6) < 1e-6
    assert series.slope(at(299.5), 0.1) is None  # one sample in the window


def test_observe_many_evaluates_combined_rules_once_per_second_and_at_the_end():
    rule = methane_fan_rule()
    batch = [("fan-f2.running", at(0), False, None)]
    batch += [("methane", at(0.1 * i), 0.4 + 0.002 * i, "face_1101") for i in range(1, 101)]  # 10 s, +1.2 %/min
    engine = RuleEngine([rule])
    out = engine.observe_many(batch)
    assert [(t.state, t.rule_id) for t in out] == [("raised", "ch4-rising-fan-off")]
    assert engine._comb[rule.id].evaluated_at == at(10.0)  # the batch's last reading
    evaluations = []
    engine = RuleEngine([rule])
    original = engine._step_combined
    engine._step_combined = lambda r, now: evaluations.append(now) or original(r, now)
    engine.observe_many(batch)
    assert 10 <= len(evaluations) <= 12  # ~once per second of reading time, not 100 times
    one_by_one = RuleEngine([rule])
    assert [t.state for b in batch for t in one_by_one.observe(*b)] == ["raised"]  # same outcome


def test_an_adopting_engine_goes_on_with_the_old_series_after_both_have_routed_the_signal():
    old, new = (
        RuleEngine([methane_rule()]),
        RuleEngine([methane_rule(levels=[{"severity": "warning", "threshold": 2.0}])]),
    )
    feed(new, [(0, 0.1)])  # the new engine has a route of its own to a series it will drop
    assert feed(old, [(0, 1.2), (5, 1.2)]) == []
    new.adopt(old)
    feed(new, [(6, 2.1)])
    assert new._series[("methane", "face_1101")].last == (at(6), 2.1)
    assert len(old._series[("methane", "face_1101")].samples) == 3  # the observation went to the adopted series
