"""Readings and events → rule engine → alert book: the path from a sensor to a person.

:class:`AlertPipeline` keeps one :class:`~mineguard.services.rules.engine.RuleEngine` for the
site, feeds it every accepted reading (signal key = sensor kind, zone = the sensor's zone) and
every other signal (fan state, vision and tag events: ``observe_signal``), and turns each rule
transition into an alert change: ``raised``/``escalated`` raise or update the alert of that
rule in that zone, ``cleared`` resolves it. ``tick`` re-evaluates stale signals and climbs the
escalation ladder. Each change is handed to ``on_change`` (live stream, notifiers) after its
transaction commits.

The alert text states the evidence and the action, in the manner of seed 003 §4:
"Methane 1.62 % in Longwall face 1101 (critical ≥ 1.5 %), rising 0.10 %/min — stop work, cut
power and withdraw people from Longwall face 1101".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.ingest.events import StoredEvent
from mineguard.services.ingest.units import CANONICAL_UNITS
from mineguard.services.rules.config import CombinedRule, ThresholdRule
from mineguard.services.rules.engine import RuleEngine, RuleTransition
from mineguard.services.rules.regulation import Severity
from mineguard.services.sensing.live import RuleFeed
from mineguard.services.storage.models import Device, Zone

log = logging.getLogger(__name__)

SITE_KINDS = ("methane", "co", "o2", "temperature", "wind_speed", "dust", "roof_pressure", "vibration")
ACTIONS: dict[tuple[str, Severity], str] = {
    ("methane", Severity.WARNING): "stop electric drilling and find the cause; increase ventilation in {zone}",
    ("methane", Severity.CRITICAL): "stop work, cut power and withdraw people from {zone}",
    ("methane", Severity.EMERGENCY): "evacuate {zone}; cut power within 20 m",
    ("co", Severity.WARNING): "find the source in {zone}; self-rescuers ready",
    ("o2", Severity.WARNING): "check the ventilation of {zone}",
    ("o2", Severity.EMERGENCY): "withdraw people from {zone} now",
    ("temperature", Severity.WARNING): "shorten shifts and cool {zone}",
    ("temperature", Severity.CRITICAL): "stop work in {zone}",
    ("roof_pressure", Severity.WARNING): "inspect the supports in {zone}",
    ("roof_pressure", Severity.CRITICAL): "withdraw people from {zone}; roof-fall risk",
    ("vibration", Severity.WARNING): "schedule an inspection of the machine in {zone}",
    ("vibration", Severity.CRITICAL): "stop the machine in {zone} and inspect it",
}
NAMES = {
    "methane": "Methane",
    "co": "CO",
    "o2": "Oxygen",
    "temperature": "Temperature",
    "wind_speed": "Wind speed",
    "dust": "Dust",
    "roof_pressure": "Roof pressure",
    "vibration": "Vibration",
}


def default_rules(zone_kinds: Iterable[str], kinds: Iterable[str] = SITE_KINDS, **timing: float) -> list[ThresholdRule]:
    """Regulation-cited threshold rules for every (sensor kind, zone kind) of a site."""
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


MAINTENANCE_NOTES = {
    "belt-b1": "maintenance log: drive bearing replaced 2026-09-14, 1,900 h ago, after the same vibration and heat",
}


def scenario_rules() -> list[CombinedRule]:
    """Combined rules for the four scenarios of seed 003 §4 on the sample mine's ids.

    Every condition has a short ``max_age_s``, so a signal that stops arriving (a fan state, a
    camera event) lets the rule clear instead of holding it.
    """

    def c(signal: str, op: str, zone: str | None = None, **kw: object) -> dict:
        return {"signal": signal, "op": op, "zone": zone, **kw}

    rules = [
        {
            "id": "gas-rising-fan-stopped",
            "severity": "emergency",
            "zone": "face_1101",
            "for_s": 3,
            "clear_for_s": 10,
            "all": [
                c("methane", "rising", "face_1101", rate_per_min=0.3, window_s=20, max_age_s=10),
                c("fan-f2.running", "==", value=False, max_age_s=15),
            ],
            "action": "evacuate Face 1101 and cut power within 20 m: methane {methane@face_1101} % rising "
            "{rate_per_min} %/min with booster fan F2 stopped (inadequate ventilation); restart the fan",
        },
        {
            "id": "no-helmet-danger-zone",
            "severity": "critical",
            "zone": "face_gate_1101",
            "for_s": 2,
            "clear_for_s": 5,
            "all": [
                c("vision.no_helmet", "present", "face_gate_1101", max_age_s=5),
                c("danger.approach", "<=", "face_1101", value=50.0, max_age_s=5),
            ],
            "action": "worker not wearing a safety helmet and approaching Longwall face 1101 (danger zone, "
            "{danger.approach@face_1101} m away) — stop them at the gate and correct immediately",
        },
        {
            "id": "belt-drive-fault",
            "severity": "critical",
            "zone": "belt_roadway",
            "for_s": 3,
            "clear_for_s": 10,
            "all": [
                c("vibration", ">=", "belt_roadway", value=4.5, max_age_s=10),
                c("belt-b1.bearing_temp", ">=", "belt_roadway", value=75.0, max_age_s=10),
            ],
            "action": "belt drive B1 abnormal: vibration {vibration@belt_roadway} mm/s with bearing at "
            "{belt-b1.bearing_temp@belt_roadway} degC; "
            + MAINTENANCE_NOTES["belt-b1"]
            + " — potential severe fault, stop the belt and inspect the drive bearing now",
        },
        {
            "id": "roof-pressure-vibration",
            "severity": "critical",
            "zone": "face_1101",
            "for_s": 3,
            "clear_for_s": 10,
            "all": [
                c("roof_pressure", "rising", "face_1101", rate_per_min=1.0, window_s=30, max_age_s=10),
                c("shearer-1101.vibration", ">=", "face_1101", value=7.1, max_age_s=10),
            ],
            "action": "collapse risk at Longwall face 1101: roof pressure {roof_pressure@face_1101} MPa rising "
            "{rate_per_min} MPa/min with shearer vibration {shearer-1101.vibration@face_1101} mm/s — "
            "cease operations and withdraw people now",
        },
    ]
    return [CombinedRule.model_validate(rule) for rule in rules]


def _time(item) -> datetime:
    return item.t


@dataclass(frozen=True)
class SiteIndex:
    zone_names: dict[str, str]
    zone_kinds: dict[str, str]
    device_zones: dict[str, str | None]
    units: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> SiteIndex:
        zones = list(session.scalars(select(Zone)))
        devices = list(session.scalars(select(Device).where(Device.kind == "sensor")))
        units = dict(CANONICAL_UNITS)  # readings are stored in canonical units
        return cls(
            {z.id: z.name for z in zones}, {z.id: z.kind for z in zones}, {d.id: d.zone_id for d in devices}, units
        )


def describe(transition: RuleTransition, site: SiteIndex, kind: str | None) -> tuple[str, str]:
    """(title, message) for a transition: the evidence, then the action."""
    zone = site.zone_names.get(transition.zone or "", transition.zone or "the mine")
    evidence = transition.evidence
    if kind is not None and transition.value is not None and not isinstance(transition.value, bool):
        unit = site.units.get(kind, "")
        text = f"{NAMES.get(kind, kind)} {transition.value:.2f} {unit} in {zone}"
        if "threshold" in evidence:
            text += f" ({transition.severity} {evidence.get('op', '≥').replace('>=', '≥').replace('<=', '≤')} "
            text += f"{evidence['threshold']:g} {unit})"
        rate = evidence.get("rate_per_min")
        if isinstance(rate, float) and abs(rate) >= 0.005:
            text += f", {'rising' if rate > 0 else 'falling'} {abs(rate):.2f} {unit}/min"
        title = f"{NAMES.get(kind, kind)} {transition.severity} in {zone}"
    else:
        text = f"{transition.rule_id} in {zone}"
        title = f"{transition.rule_id} {transition.severity} in {zone}"
    action = transition.action or ACTIONS.get((kind or "", transition.severity), "inspect {zone}")
    return title, f"{text} — {action.format(zone=zone)}"


class AlertPipeline:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: list[ThresholdRule | CombinedRule],
        site: SiteIndex,
        *,
        policy: EscalationPolicy | None = None,
        on_change: Callable[[book.AlertChange], None] | None = None,
    ) -> None:
        self.sessions, self.site, self.policy = sessions, site, policy or EscalationPolicy()
        self.engine = RuleEngine(rules, zone_kinds=site.zone_kinds)
        self.kinds = {r.id: r.kind for r in rules if isinstance(r, ThresholdRule)}
        self.on_change = on_change
        self.feed = RuleFeed()  # align: per-sensor time order; flagged and late readings held back, counted
        self._lock = threading.Lock()
        self.changes = 0

    @classmethod
    def for_site(cls, sessions: sessionmaker[Session], **kw) -> AlertPipeline:
        with sessions() as session:
            site = SiteIndex.load(session)
        rules: list[ThresholdRule | CombinedRule] = list(default_rules(set(site.zone_kinds.values())))
        for rule in scenario_rules():  # only where the site has the zones the rule speaks of
            zones = {rule.report_zone, *(cond.zone for cond in rule.conditions)} - {None}
            if zones <= set(site.zone_kinds):
                rules.append(rule)
        return cls(sessions, rules, site, **kw)

    def observe_readings(self, readings: Iterable) -> list[book.AlertChange]:
        """Feed stored readings (``device_id``, ``kind``, ``t``, ``value``, ``flags``) in time order; a
        flagged one, or one older than its sensor's last fed, is held back (``self.feed`` counts them)."""
        zones = self.site.device_zones
        with self._lock:
            observations = ((r.kind, r.t, r.value, zones.get(r.device_id)) for r in self.feed.admit(readings))
            return self._apply(self.engine.observe_many(observations))

    def observe_signal(self, key: str, t: datetime, value: float | bool, zone_id: str | None = None) -> list:
        with self._lock:
            return self._apply(self.engine.observe(key, t, value, zone_id))

    def observe_events(self, events: Iterable[StoredEvent]) -> list[book.AlertChange]:
        """Feed stored source events (camera, face, tag, ...) as ``<source>.<label>`` signals."""
        with self._lock:
            observations = ((e.signal_key, e.t, e.value, e.zone_id) for e in sorted(events, key=_time))
            return self._apply(self.engine.observe_many(observations))

    def tick(self, now: datetime) -> list[book.AlertChange]:
        with self._lock:
            changes = self._apply(self.engine.tick(now), now)
        with self.sessions() as session, session.begin():
            escalations = book.escalate_due(session, now, self.policy)
        self._publish(escalations)
        return changes + escalations

    def _apply(self, transitions: list[RuleTransition], now: datetime | None = None) -> list[book.AlertChange]:
        if not transitions:
            return []
        changes: list[book.AlertChange] = []
        with self.sessions() as session, session.begin():
            for tr in transitions:
                key = f"{tr.rule_id}:{tr.zone or '-'}"
                if tr.state == "cleared":
                    change = book.condition_cleared(session, key, tr.t)
                else:
                    title, message = describe(tr, self.site, self.kinds.get(tr.rule_id))
                    change = book.raise_or_update(
                        session,
                        key=key,
                        rule_id=tr.rule_id,
                        severity=tr.severity,
                        title=title,
                        message=message,
                        t=tr.t,
                        zone_id=tr.zone,
                        evidence=_jsonable(tr.evidence),
                        policy=self.policy,
                    )
                if change is not None:
                    changes.append(change)
        self._publish(changes)
        return changes

    def _publish(self, changes: list[book.AlertChange]) -> None:
        self.changes += len(changes)
        for change in changes:
            log.info("alert %s %s: %s", change.alert.id, change.kind, change.alert.message)
            if self.on_change is not None:
                try:
                    self.on_change(change)
                except Exception:  # a notifier problem never blocks the alert
                    log.exception("alert change handler failed for alert %s", change.alert.id)


def _jsonable(evidence: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in evidence.items()}
