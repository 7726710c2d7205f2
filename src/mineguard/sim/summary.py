"""The run's summary, built only from what the service answered over its API.

Per scenario: when the hazard became real in the simulation, the first alert of its detecting rule
(``GET /api/v1/alerts``), the latency between them, and which real inputs caused the alert: the
alert's ``evidence["inputs"]`` (the readings, events and twin updates the rule engine saw, when the
service records them), else the signal values the evidence holds. After the scenarios, the rescue
list (``GET /api/v1/rescue-list``): everyone underground at the end, where, and their nearest refuge.

A scenario whose hazard never became real although the whole timeline ran (the headcount scenario
under ``mineguard sim``, where the service's shifts do not end during the run) is shown as such
and does not fail the run; one whose hazard was real and raised no alert does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mineguard.sim.script import ScenarioScript

SEVERE = ("critical", "emergency")
_DERIVED = ("rate_per_min", "levels", "op", "threshold", "clear_hysteresis", "source", "similar_incidents")


def _clock(t: Any) -> str:
    try:
        return datetime.fromisoformat(str(t)).strftime("%H:%M:%S")
    except ValueError:
        return str(t)


def parse_time(text: str) -> datetime:
    """An API timestamp, aware (a naive one is UTC, as the service stores time)."""
    t = datetime.fromisoformat(text)
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _input(item: Any) -> str:
    """One input as ``reading <device> 1.62 % @12:00:03`` (a dict) or its text (``reading:<device>#12``)."""
    if isinstance(item, list):
        return ", ".join(_input(x) for x in item)
    if not isinstance(item, dict):
        return str(item).replace(":", " ", 1)
    source = str(item.get("source", ""))
    kind, _, ref = source.partition(":")
    what = item.get("device_id") or item.get("device") or item.get("signal") or ref.split("#")[0]
    parts = [item.get("kind") or kind or "input", what]
    if item.get("value") is not None:
        parts.append(f"{item['value']:g}" if isinstance(item["value"], float) else str(item["value"]))
    if item.get("unit"):
        parts.append(str(item["unit"]))
    text = " ".join(str(p) for p in parts if p not in (None, ""))
    return f"{text} @{_clock(item['t'])}" if item.get("t") else text


def describe_inputs(evidence: dict[str, Any]) -> str:
    """The inputs that caused an alert, one line: provenance when present, else the evidence's values."""
    inputs = evidence.get("inputs")
    if isinstance(inputs, dict):
        return "inputs: " + ", ".join(f"{key}: {_input(item)}" for key, item in inputs.items())
    if isinstance(inputs, list) and inputs:
        return "inputs: " + ", ".join(_input(item) for item in inputs)
    values = {
        key: value
        for key, value in evidence.items()
        if key not in _DERIVED and not key.endswith(".rate_per_min") and not isinstance(value, dict | list)
    }
    shown = ", ".join(
        f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}" for key, value in values.items()
    )
    return f"signals in the evidence: {shown or 'none'}"


@dataclass(frozen=True)
class ScenarioResult:
    id: str
    title: str
    rule_id: str
    triggered_at: datetime | None  # when the hazard became real in the simulation (wall clock)
    alert_at: datetime | None  # opened_at of the first alert of its rule
    severity: str | None = None
    message: str | None = None
    inputs: str | None = None

    @property
    def detected(self) -> bool:
        return self.alert_at is not None

    def passed(self, complete: bool) -> bool:
        """Detected, or its hazard never happened in a run that played the whole timeline."""
        return self.detected or (complete and self.triggered_at is None)

    @property
    def latency_s(self) -> float | None:
        if self.alert_at is None or self.triggered_at is None:
            return None
        return (self.alert_at - self.triggered_at).total_seconds()


@dataclass(frozen=True)
class DemoSummary:
    site: str
    transport: str
    wall_s: float
    sim_s: float
    timeline_s: float
    speed: float
    readings_published: int
    readings_dropped: int  # simulated dropouts (never sent)
    readings_stored: int
    duplicates: int | None  # None: the transport does not report them
    rejects: dict[str, int]
    tag_fixes: int
    vision_events: int
    gate_passages: int
    alerts_by_rule: dict[str, int]
    alerts_by_scenario: dict[str, int]
    scenarios: list[ScenarioResult]
    escalations: int
    unexpected_critical: list[str] = field(default_factory=list)
    rescue: list[str] = field(default_factory=list)  # the rescue list at the end, one line per person
    early_warning: list[str] = field(default_factory=list)  # pre-alerts, their lead times, the forecast bands

    @property
    def complete(self) -> bool:
        """The whole scenario timeline was simulated."""
        return self.sim_s >= self.timeline_s

    @property
    def ok(self) -> bool:
        """Every scenario whose hazard happened raised its alert and nothing else critical fired."""
        return all(s.passed(self.complete) for s in self.scenarios) and not self.unexpected_critical

    def format(self) -> str:
        dup = f"{self.duplicates} duplicates, " if self.duplicates is not None else ""
        lines = [
            f"MineGuard platform demo: {self.sim_s:.0f} simulated s in {self.wall_s:.1f} s (speed {self.speed:g}), "
            f"site {self.site}, readings over {self.transport}",
            f"  readings: {self.readings_published} published, {self.readings_stored} stored, "
            f"{dup}{sum(self.rejects.values())} rejected"
            + (f" {dict(self.rejects)}" if self.rejects else "")
            + f", {self.readings_dropped} simulated dropouts",
            f"  tags: {self.tag_fixes} position fixes; camera events: {self.vision_events}; "
            f"gate passages: {self.gate_passages}",
            "  scenarios:",
        ]
        for s in self.scenarios:
            if s.detected:
                lat = f", {s.latency_s:.1f} s after the hazard" if s.latency_s is not None else ""
                lines.append(f"    [ok]   {s.id:<9} {s.title}: {s.severity} {s.rule_id}{lat}")
                lines.append(f"           {s.message}")
                lines.append(f"           {s.inputs}")
            elif s.passed(self.complete):
                lines.append(f"    [--]   {s.id:<9} {s.title}: its hazard did not happen in this run")
            else:
                why = "timeline not reached" if s.triggered_at is None else "NO ALERT"
                lines.append(f"    [FAIL] {s.id:<9} {s.title}: {why}")
        lines.append("  alerts by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts_by_rule.items())))
        lines.append(
            "  alerts by scenario: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts_by_scenario.items()))
        )
        lines.append(f"  escalations: {self.escalations}")
        lines.append("  early warning (risk model forecasts):")
        lines += [f"    {line}" for line in self.early_warning or ["no forecast yet"]]
        lines.append("  rescue list at the end:")
        lines += [f"    {line}" for line in self.rescue or ["nobody underground"]]
        if self.unexpected_critical:
            lines.append("  UNEXPECTED critical alerts:")
            lines += [f"    {text}" for text in self.unexpected_critical]
        else:
            lines.append("  unexpected critical alerts: none")
        lines.append(f"  result: {'OK' if self.ok else 'FAILED'}")
        return "\n".join(lines)


def early_warning_lines(alerts: list[dict], leads: dict, forecasts: list[dict]) -> list[str]:
    """The pre-alerts of the risk job (``risk.*`` alerts), how long before their alarms they came
    (``GET /api/v1/warnings/lead-times``) and the newest forecast band of each sensor that has one
    (``GET /api/v1/forecasts``, newest first), the closest to its limit first."""
    warnings = [a for a in alerts if str(a.get("rule_id", "")).startswith("risk.")]
    lines = [f"pre-alerts: {len(warnings)}"]
    lines += [f"  {_clock(a['opened_at'])} {a['message']}" for a in warnings[:3]]
    for alarm in leads.get("alarms", []):
        if alarm["warned"]:
            lines.append(
                f"lead time before {alarm['rule_id']}: {alarm['warned']} of {alarm['alarms']} alarms warned, "
                f"median {alarm['median_lead_s']:.0f} s ahead"
            )
    for outcome in leads.get("warnings", []):
        lines.append(
            f"{outcome['rule_id']}: {outcome['followed_by_alarm']} followed by an alarm, "
            f"{outcome['false_alarms']} cleared without one, {outcome['open']} open"
        )
    newest: dict[str, dict] = {}
    for f in forecasts:
        newest.setdefault(f["device_id"], f)
    closest = sorted(newest.values(), key=lambda f: -f["probability"])[:3]
    lines.append(f"forecasts: {len(forecasts)} stored for {len(newest)} sensors (80 % and 95 % bands)")
    lines += [
        f"  {f['device_id']}: {f['value']:.3g} now, {f['predicted']:.3g} expected in {f['horizon_s'] / 60:.0f} min "
        f"(80 % {f['lower_80']:.3g}..{f['upper_80']:.3g}, 95 % {f['lower_95']:.3g}..{f['upper_95']:.3g}), "
        f"p = {f['probability']:.2f} past {f['limit']:g}"
        for f in closest
    ]
    return lines


def rescue_lines(listing: dict) -> list[str]:
    """``GET /api/v1/rescue-list`` as one line per person: who, where, since when, nearest refuge."""
    lines = []
    for person in listing.get("people", []):
        who = f"{person['name']} ({person['person_id']})" if person.get("person_id") else "(not in your scope)"
        refuge = person.get("refuge")
        way = f"nearest refuge {refuge['name']} ({refuge['hops']} hops)" if refuge else "no refuge reachable"
        seen = f", last seen {_clock(person['last_seen'])}" if person.get("last_seen") else ""
        flags = f" [{', '.join(person['mismatches'])}]" if person.get("mismatches") else ""
        lines.append(f"{who} in {person.get('zone_name') or person.get('zone_id') or '?'}{seen}, {way}{flags}")
    return lines


def scenario_results(
    script: ScenarioScript, alerts: list[dict], triggered: dict[str, datetime]
) -> tuple[list[ScenarioResult], dict[str, int], dict[str, int], list[str]]:
    """Per scenario its first alert; alert counts by rule and by scenario; severe alerts of no scenario.

    ``alerts`` are this run's, as ``GET /api/v1/alerts`` answers them, oldest first."""
    by_rule = Counter(a["rule_id"] for a in alerts)
    by_scenario = Counter(script.scenario_of(a["rule_id"], a["zone_id"]) or "other" for a in alerts)
    results = []
    for spec in script.scenarios:
        first = next((a for a in alerts if a["rule_id"] == spec.detected_by), None)
        results.append(
            ScenarioResult(
                spec.id,
                spec.title,
                spec.detected_by,
                triggered.get(spec.id),
                parse_time(first["opened_at"]) if first else None,
                first["severity"] if first else None,
                first["message"] if first else None,
                describe_inputs(first.get("evidence") or {}) if first else None,
            )
        )
    unexpected = [
        f"{a['severity']} {a['rule_id']} in {a['zone_id'] or '-'}: {a['message']}"
        for a in alerts
        if a["severity"] in SEVERE and script.scenario_of(a["rule_id"], a["zone_id"]) is None
    ]
    return results, dict(by_rule), dict(by_scenario), unexpected
