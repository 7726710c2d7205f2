"""A site's rules as data: the ``rules:`` section of the site file, checked against the site.

:class:`RulesConfig` is that section (pydantic, ``extra="forbid"``)::

    rules:
      regulation_defaults: true          # the cited thresholds of regulation.py for the site's sensor kinds
      thresholds:                        # a rule with the id of a default ("methane.working_face") replaces it
        - {id: co.roadway, kind: co, zone_kind: roadway, unit: ppm, levels: [{severity: warning, threshold: 20}]}
      combined:                          # CombinedRule, see config.py
        - {id: gas-fan, severity: emergency, all: [...], action: "evacuate {zone} ..."}
      actions: {methane: {critical: "stop work, cut power and withdraw people from {zone}"}}
      names: {methane: Methane}          # how a kind is written in alert texts
      escalation: {ack_timeout_s: {warning: 600, critical: 120, emergency: 30}}

:func:`build_rules` turns a config and the site's facts (:class:`SiteFacts`: zones, sensor kinds,
machines) into what the alert pipeline runs (:class:`SiteRules`, thresholds in canonical units).
:func:`validate_against_site` lists every name a rule uses that the site does not have, each
with its key path (``thresholds[2].zone``); the site file and the rule API refuse such a set.

Signals a combined condition may read (the keys the alert pipeline feeds the engine):

- a sensor kind of the site (``methane``): readings of that kind, in the sensor's zone;
- ``<asset>.<kind>``: readings of a sensor of that kind mounted on that asset (``devices[].asset``);
- ``danger.approach``: distance (m) of the nearest person to a danger zone, in that zone;
- ``<machine>.approach`` / ``<machine>.closing``: distance (m) / closing speed (m/s) of the nearest
  person to a running machine (an asset of kind ``machine``), in the machine's zone;
- ``<source>.<label>``: source events (POST /api/v1/events), where ``source`` is an event source
  (vision, face, tag, operator, system, terrain; never an asset id) and ``label`` a lower_snake_case label.

Sensor, asset and twin signals always carry a zone, so their conditions must name one.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mineguard.mine.events import EventSource
from mineguard.mine.rules.config import CombinedRule, Name, Text, ThresholdRule
from mineguard.mine.rules.regulation import Severity

EVENT_SOURCES = frozenset(source.value for source in EventSource)  # what POST /api/v1/events accepts
LABEL = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
MACHINE_SIGNALS = ("approach", "closing")
FALLBACK_ACTION = "inspect {zone}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _default_timeouts() -> dict[Severity, float | None]:
    return {Severity.INFO: None, Severity.WARNING: 600.0, Severity.CRITICAL: 120.0, Severity.EMERGENCY: 30.0}


class EscalationConfig(_Strict):
    """Seconds an unacknowledged alert waits at each rung of the ladder, per severity (null: never climbs)."""

    ack_timeout_s: dict[Severity, Annotated[float, Field(strict=True)] | None] = Field(
        default_factory=_default_timeouts
    )

    @field_validator("ack_timeout_s")
    @classmethod
    def _positive(cls, timeouts: dict[Severity, float | None]) -> dict[Severity, float | None]:
        bad = [f"{s.value}: {v}" for s, v in timeouts.items() if v is not None and v <= 0]
        if bad:
            raise ValueError(f"timeouts must be > 0 seconds or null (never escalates), got {', '.join(bad)}")
        return {**_default_timeouts(), **timeouts}


def check_action_text(text: str) -> str:
    """An action text may only use the ``{zone}`` placeholder (``{{`` for a literal brace)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{exc} in {text!r} — write {{zone}}, or {{{{ and }}}} for a brace") from None
    if names - {"zone"}:
        raise ValueError(f"unknown placeholder(s) {sorted(names - {'zone'})} — only {{zone}} is filled in")
    return text


class RulesConfig(_Strict):
    """A site's rules: regulation defaults on or off, own thresholds, combined rules, texts, escalation."""

    regulation_defaults: bool = Field(True, strict=True)
    thresholds: list[ThresholdRule] = Field(default_factory=list)
    combined: list[CombinedRule] = Field(default_factory=list)
    actions: dict[Name, dict[Severity, Text]] = Field(default_factory=dict, description="kind -> severity -> text")
    names: dict[Name, Name] = Field(default_factory=dict, description="kind -> display name")
    escalation: EscalationConfig = EscalationConfig()

    @field_validator("actions")
    @classmethod
    def _templates(cls, actions: dict[str, dict[Severity, str]]) -> dict[str, dict[Severity, str]]:
        for texts in actions.values():
            for text in texts.values():
                check_action_text(text)
        return actions

    @model_validator(mode="after")
    def _unique(self) -> RulesConfig:
        seen: set[str] = set()
        for rule in (*self.thresholds, *self.combined):
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice — give each rule its own id")
            seen.add(rule.id)
        return self

    def dump(self) -> dict:
        """JSON-ready, as written in a site file (``all``/``any`` under their YAML names)."""
        return self.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class SiteFacts:
    """What rules may name: zone id -> kind, sensor kind -> zones, asset -> kind -> zones, machines."""

    zone_kinds: Mapping[str, str]
    sensor_zones: Mapping[str, frozenset[str]]
    asset_sensor_zones: Mapping[str, Mapping[str, frozenset[str]]]
    assets: frozenset[str] = frozenset()
    machines: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        zones: Iterable[tuple[str, str]],
        sensors: Iterable[tuple[str, str | None, str | None]],
        assets: Iterable[tuple[str, str]] = (),
    ) -> SiteFacts:
        """From (zone id, kind), (sensor kind, zone id, asset id or None) and (asset id, asset kind)."""
        kinds: dict[str, set[str]] = {}
        mounted: dict[str, dict[str, set[str]]] = {}
        for kind, zone, asset in sensors:
            kinds.setdefault(kind, set()).update({zone} - {None})
            if asset is not None:
                mounted.setdefault(asset, {}).setdefault(kind, set()).update({zone} - {None})
        asset_kinds = dict(assets)
        return cls(
            dict(zones),
            {k: frozenset(z) for k, z in kinds.items()},
            {a: {k: frozenset(z) for k, z in by_kind.items()} for a, by_kind in mounted.items()},
            frozenset(asset_kinds),
            frozenset(a for a, k in asset_kinds.items() if k == "machine"),
        )

    @classmethod
    def from_site_dict(cls, site: Mapping) -> SiteFacts:
        """From a site file's data (as loaded, or as stored in ``sites.config``)."""
        return cls.build(
            ((z["id"], z["kind"]) for z in site.get("zones", [])),
            (
                (d["sensor_kind"], d.get("zone"), d.get("asset"))
                for d in site.get("devices", [])
                if d.get("kind") == "sensor" and d.get("sensor_kind")
            ),
            ((a["id"], a["kind"]) for a in site.get("assets", [])),
        )

    def zones_of(self, signal: str) -> frozenset[str] | None:
        """Zones where a reading signal (``kind`` or ``asset.kind``) is fed; None: not a reading signal."""
        if signal in self.sensor_zones:
            return self.sensor_zones[signal]
        asset, _, kind = signal.rpartition(".")
        return self.asset_sensor_zones.get(asset, {}).get(kind)


Loc = tuple[str | int, ...]


def path_of(loc: Loc) -> str:
    """A key path as written in messages: ``("thresholds", 2, "zone")`` -> ``thresholds[2].zone``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


@dataclass(frozen=True)
class RuleProblem:
    loc: Loc  # key path inside the rules section, e.g. ("thresholds", 2, "zone")
    message: str

    @property
    def path(self) -> str:
        return path_of(self.loc)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _reading_signal(facts: SiteFacts, signal: str, what: str) -> str | None:
    """Why ``signal`` is not a reading signal of the site (None when it is)."""
    if facts.zones_of(signal) is not None:
        return None
    asset, dot, kind = signal.rpartition(".")
    if dot and asset in facts.assets:
        mounted = sorted(facts.asset_sensor_zones.get(asset, {}))
        return f"asset {asset!r} has no {kind!r} sensor (its sensors: {', '.join(mounted) or 'none'})"
    known = ", ".join(sorted(facts.sensor_zones)) or "none"
    return f"{what} {signal!r} is not a sensor kind of the site — known kinds: {known}, or <asset>.<kind>"


def _signal_problem(facts: SiteFacts, signal: str) -> str | None:
    """Why a condition signal can never be fed at this site (None when it can)."""
    if "." not in signal:
        return _reading_signal(facts, signal, "signal")
    head, _, tail = signal.rpartition(".")
    if head in facts.assets:
        if head in facts.machines and tail in MACHINE_SIGNALS:
            return None
        return _reading_signal(facts, signal, "signal")
    if head == "danger":
        return None if tail == "approach" else f"the danger-zone signal is 'danger.approach', not {signal!r}"
    if head in EVENT_SOURCES:
        return None if LABEL.match(tail) else f"event label {tail!r} must be lower_snake_case (e.g. no_helmet)"
    return (
        f"unknown signal {signal!r} — use a sensor kind, <asset>.<kind>, danger.approach, "
        f"<machine>.approach|closing or <source>.<label> with source one of {', '.join(sorted(EVENT_SOURCES))}"
    )


def _zone_problem(facts: SiteFacts, zone: str | None) -> str | None:
    if zone is None or zone in facts.zone_kinds:
        return None
    return f"zone {zone!r} is not a zone of the site — known zones: {', '.join(sorted(facts.zone_kinds))}"


def validate_against_site(config: RulesConfig, facts: SiteFacts) -> list[RuleProblem]:
    """Every kind, zone, zone kind and signal the rules name that the site lacks (empty: all fine)."""
    out: list[RuleProblem] = []

    def check(loc: Loc, problem: str | None) -> None:
        if problem is not None:
            out.append(RuleProblem(loc, problem))

    for i, rule in enumerate(config.thresholds):
        check(("thresholds", i, "kind"), _reading_signal(facts, rule.kind, "kind"))
        check(("thresholds", i, "zone"), _zone_problem(facts, rule.zone))
        if rule.zone_kind is not None and rule.zone_kind not in facts.zone_kinds.values():
            kinds = ", ".join(sorted(set(facts.zone_kinds.values())))
            check(("thresholds", i, "zone_kind"), f"the site has no zone of kind {rule.zone_kind!r} — it has: {kinds}")
    defaults = {r.id for r in site_defaults(facts)} if config.regulation_defaults else set()
    for i, rule in enumerate(config.combined):
        if rule.id in defaults:
            check(("combined", i, "id"), f"{rule.id!r} is the id of a regulation default threshold — rename it")
        check(("combined", i, "zone"), _zone_problem(facts, rule.zone))
        for group, conditions in (("all", rule.all_), ("any", rule.any_)):
            for j, cond in enumerate(conditions):
                where = ("combined", i, group, j)
                problem = _signal_problem(facts, cond.signal)
                check((*where, "signal"), problem)
                zone_problem = _zone_problem(facts, cond.zone)
                check((*where, "zone"), zone_problem)
                if problem is None and zone_problem is None:
                    check((*where, "zone"), _feeding_zone_problem(facts, cond.signal, cond.zone))
    for section in ("actions", "names"):
        for kind in getattr(config, section):
            check((section, kind), _reading_signal(facts, kind, "kind"))
    return out


def _feeding_zone_problem(facts: SiteFacts, signal: str, zone: str | None) -> str | None:
    """A reading signal named in a zone where no such sensor is: the condition could never hold."""
    zones = facts.zones_of(signal)
    is_event = signal.split(".", 1)[0] in EVENT_SOURCES
    if zone is None and not is_event:
        return f"name the zone where {signal!r} is observed (signals of sensors and of the twin have a zone)"
    if zones is not None and zone not in zones:
        return f"no sensor feeds {signal!r} in zone {zone!r} — it is observed in: {', '.join(sorted(zones))}"
    return None


class RulesError(ValueError):
    """A rule set that does not fit the site; ``problems`` name each field."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class SiteRules:
    """What the alert pipeline runs: the rules (canonical units), the texts and the escalation timeouts."""

    rules: list[ThresholdRule | CombinedRule]
    actions: dict[tuple[str, Severity], str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    escalation: EscalationConfig = field(default_factory=EscalationConfig)

    def action(self, kind: str | None, severity: Severity) -> str:
        return self.actions.get((kind or "", severity), FALLBACK_ACTION)

    def name(self, kind: str) -> str:
        return self.names.get(kind, kind)


def default_rules(zone_kinds: Iterable[str], kinds: Iterable[str], **timing: float) -> list[ThresholdRule]:
    """Regulation-cited threshold rules (id ``<kind>.<zone kind>``) for every (sensor kind, zone kind)."""
    rules = []
    for kind in kinds:
        for zone_kind in sorted(set(zone_kinds)):
            for op in (None, ">=", "<="):
                try:
                    rules.append(ThresholdRule.from_regulation(f"{kind}.{zone_kind}", kind, zone_kind, op=op, **timing))
                    break
                except ValueError:
                    continue
    return rules


def site_defaults(facts: SiteFacts) -> list[ThresholdRule]:
    """The regulation-cited thresholds this site gets while `regulation_defaults` is on (by id)."""
    return default_rules(set(facts.zone_kinds.values()), sorted(facts.sensor_zones))


def build_rules(config: RulesConfig, facts: SiteFacts) -> SiteRules:
    """The site's rule list: regulation defaults (replaced by an own threshold of the same id), own
    thresholds, combined rules; raises :class:`RulesError` when the config does not fit the site."""
    problems = validate_against_site(config, facts)
    if problems:
        raise RulesError(problems)
    own = {rule.id: rule.canonical() for rule in config.thresholds}
    rules: list[ThresholdRule | CombinedRule] = []
    if config.regulation_defaults:
        rules += [own.pop(rule.id, rule) for rule in site_defaults(facts)]
    rules += [*own.values(), *config.combined]
    actions = {(kind, sev): text for kind, texts in config.actions.items() for sev, text in texts.items()}
    return SiteRules(rules, actions, dict(config.names), config.escalation)
