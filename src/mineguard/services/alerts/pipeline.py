"""Readings and events → rule engine → alert book: the path from a sensor to a person.

:class:`AlertPipeline` keeps one :class:`~mineguard.warning.rules.engine.RuleEngine` for the
site, feeds it every accepted reading (signal key = sensor kind, zone = the sensor's zone; for a
sensor mounted on an asset also ``<asset>.<kind>``, a machine's run state or bearing) and every other
signal (source events, the twin's approach signals: ``observe_signal``), and turns each rule
transition into an alert change: ``raised``/``escalated`` raise or update the alert of that
rule in that zone, ``cleared`` resolves it. ``tick`` re-evaluates stale signals and climbs the
escalation ladder. Each change is handed to ``on_change`` (live stream, notifiers) after its
transaction commits.

The rules, the response texts and the escalation timeouts are the site's data (the site file's
``rules:`` section and its API edits, :mod:`mineguard.mine.rules.site_rules` and ``store``);
:meth:`AlertPipeline.replace_rules` swaps them while the service runs. Every observation carries
its provenance (``reading:<device>#<seq>``, ``event:<id>``), so an alert's evidence names the
inputs that caused it (``evidence["inputs"]``).

The alert text states the evidence and the action, in the manner of seed 003 §4:
"Methane 1.62 % in Longwall face 1101 (critical ≥ 1.5 %), rising 0.10 %/min — stop work, cut
power and withdraw people from Longwall face 1101".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.events import StoredEvent
from mineguard.mine.rules.config import ThresholdRule, base_kind
from mineguard.mine.rules.site_rules import RulesConfig, SiteFacts, SiteRules, build_rules
from mineguard.mine.units import CANONICAL_UNITS
from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.evidence.store import media_for_events
from mineguard.services.rules import store
from mineguard.services.storage.models import Alert, Device, Site, Zone
from mineguard.services.storage.types import utc_now
from mineguard.warning.rules.engine import RuleEngine, RuleTransition
from mineguard.warning.sensing.live import RuleFeed

log = logging.getLogger(__name__)


def _time(item) -> datetime:
    return item.t


@dataclass(frozen=True)
class SiteIndex:
    zone_names: dict[str, str]
    zone_kinds: dict[str, str]
    device_zones: dict[str, str | None]
    units: dict[str, str]
    device_assets: dict[str, str] = field(default_factory=dict)  # sensor -> the asset it is mounted on

    @classmethod
    def load(cls, session: Session) -> SiteIndex:
        zones = list(session.scalars(select(Zone)))
        devices = list(session.scalars(select(Device).where(Device.kind == "sensor")))
        units = dict(CANONICAL_UNITS)  # readings are stored in canonical units
        return cls(
            {z.id: z.name for z in zones},
            {z.id: z.kind for z in zones},
            {d.id: d.zone_id for d in devices},
            units,
            {d.id: d.asset_id for d in devices if d.asset_id},
        )


def reading_observations(readings: Iterable, site: SiteIndex) -> Iterable[tuple[str, datetime, float, str | None, str]]:
    """``(signal, t, value, zone, source)`` of stored readings in time order: ``<kind>`` in the sensor's
    zone and, for a sensor mounted on an asset, ``<asset>.<kind>`` there too (a machine's
    ``<asset>.running``); ``source`` is ``reading:<device>#<seq>``."""
    zones, assets = site.device_zones, site.device_assets
    for r in sorted(readings, key=_time):
        zone, source = zones.get(r.device_id), f"reading:{r.device_id}#{r.seq}"
        yield r.kind, r.t, r.value, zone, source
        asset = assets.get(r.device_id)
        if asset is not None:
            yield f"{asset}.{r.kind}", r.t, r.value, zone, source


def describe(transition: RuleTransition, site: SiteIndex, kind: str | None, texts: SiteRules) -> tuple[str, str]:
    """(title, message) for a transition: the evidence, then the action."""
    zone = site.zone_names.get(transition.zone or "", transition.zone or "the mine")
    evidence = transition.evidence
    if kind is not None and transition.value is not None and not isinstance(transition.value, bool):
        unit = site.units.get(base_kind(kind), "")
        text = f"{texts.name(kind)} {transition.value:.2f} {unit} in {zone}"
        if "threshold" in evidence:
            text += f" ({transition.severity} {evidence.get('op', '≥').replace('>=', '≥').replace('<=', '≤')} "
            text += f"{evidence['threshold']:g} {unit})"
        rate = evidence.get("rate_per_min")
        if isinstance(rate, float) and abs(rate) >= 0.005:
            text += f", {'rising' if rate > 0 else 'falling'} {abs(rate):.2f} {unit}/min"
        title = f"{texts.name(kind)} {transition.severity} in {zone}"
    else:
        text = f"{transition.rule_id} in {zone}"
        title = f"{transition.rule_id} {transition.severity} in {zone}"
    action = transition.action or texts.action(kind, transition.severity)
    return title, f"{text} — {action.format(zone=zone)}"


class AlertPipeline:
    """The site's rule engine and the alert book behind it; ``version`` is the rule-set version running."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rules: SiteRules,
        site: SiteIndex,
        *,
        facts: SiteFacts | None = None,
        version: int | None = None,
        policy: EscalationPolicy | None = None,
        on_change: Callable[[book.AlertChange], None] | None = None,
    ) -> None:
        self.sessions, self.site, self.facts, self.version = sessions, site, facts, version
        self._fixed_policy = policy  # given by the caller: kept over the rules' escalation timeouts
        self.engine = RuleEngine(rules.rules, zone_kinds=site.zone_kinds)
        self._use(rules)
        self.on_change = on_change
        self.feed = RuleFeed()  # align: per-sensor time order; flagged and late readings held back, counted
        self._lock = threading.Lock()
        self.changes = 0

    def _use(self, rules: SiteRules) -> None:
        self.texts = rules
        self.kinds = {r.id: r.kind for r in rules.rules if isinstance(r, ThresholdRule)}
        self.policy = self._fixed_policy or EscalationPolicy(dict(rules.escalation.ack_timeout_s))

    @classmethod
    def for_site(cls, sessions: sessionmaker[Session], **kw) -> AlertPipeline:
        """The pipeline of the loaded site, running its newest rule version (else the site file's rules)."""
        with sessions() as session:
            site = SiteIndex.load(session)
            row = session.scalars(select(Site).order_by(Site.loaded_at)).first()
            if row is None:
                raise LookupError("no site loaded — start the service with a site file (MINEGUARD_SITE_FILE)")
            facts = SiteFacts.from_site_dict(row.config or {})
            current = store.latest(session, row.id)
            config = store.config_of(current) if current else RulesConfig.model_validate(row.config.get("rules", {}))
        return cls(sessions, build_rules(config, facts), site, facts=facts, version=current and current.version, **kw)

    def replace_rules(self, config: RulesConfig, *, version: int | None = None) -> list[book.AlertChange]:
        """Run ``config`` from now on, all or nothing: it is checked against the site first
        (:class:`~mineguard.mine.rules.site_rules.RulesError`, nothing changed). Signal series go
        on (rates continue) and unchanged rules keep their state; the open alerts of changed or removed
        rules are resolved ("rule changed in version N"), so the next reading is judged by the new rule."""
        if self.facts is None:
            raise ValueError("this pipeline was built without the site's facts — build it with AlertPipeline.for_site")
        built = build_rules(config, self.facts)
        engine = RuleEngine(built.rules, zone_kinds=self.site.zone_kinds)
        with self._lock:
            dropped = engine.adopt(self.engine)
            self.engine, self.version = engine, version
            self._use(built)
            changes = self._resolve_rules(dropped, f"rule changed in version {version}" if version else "rule changed")
        self._publish(changes)
        return changes

    def _resolve_rules(self, rule_ids: list[str], reason: str) -> list[book.AlertChange]:
        if not rule_ids:
            return []
        changes = []
        with self.sessions() as session, session.begin():
            query = select(Alert.key).where(Alert.rule_id.in_(rule_ids), Alert.state.in_(book.ACTIVE))
            for key in session.scalars(query).all():
                change = book.condition_cleared(session, key, utc_now(), detail=reason)
                if change is not None:
                    changes.append(change)
        return changes

    def observe_readings(self, readings: Iterable) -> list[book.AlertChange]:
        """Feed stored readings (``device_id``, ``seq``, ``kind``, ``t``, ``value``, ``flags``) in time
        order; a flagged one, or one older than its sensor's last fed, is held back (``self.feed`` counts them)."""
        with self._lock:
            return self._apply(self.engine.observe_many(reading_observations(self.feed.admit(readings), self.site)))

    def observe_signal(
        self, key: str, t: datetime, value: float | bool, zone_id: str | None = None, source: str | None = None
    ) -> list:
        """One derived or external signal; ``source`` names the input behind it (``twin:<person id>``)
        in the alert's evidence."""
        with self._lock:
            return self._apply(self.engine.observe(key, t, value, zone_id, source))

    def observe_events(self, events: Iterable[StoredEvent]) -> list[book.AlertChange]:
        """Feed stored source events (camera, face, tag, ...) as ``<source>.<label>`` signals."""
        with self._lock:
            observations = ((e.signal_key, e.t, e.value, e.zone_id, f"event:{e.id}") for e in sorted(events, key=_time))
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
                    title, message = describe(tr, self.site, self.kinds.get(tr.rule_id), self.texts)
                    change = book.raise_or_update(
                        session,
                        key=key,
                        rule_id=tr.rule_id,
                        severity=tr.severity,
                        title=title,
                        message=message,
                        t=tr.t,
                        zone_id=tr.zone,
                        evidence=_with_media(session, _jsonable(tr.evidence)),
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


def _with_media(session: Session, evidence: dict) -> dict:
    """Add the snapshots and clips of the camera events behind the alert (``evidence["media"]``)."""
    inputs = evidence.get("inputs")
    sources = inputs.values() if isinstance(inputs, dict) else inputs or []
    event_ids = [int(s[6:]) for s in sources if isinstance(s, str) and s.startswith("event:") and s[6:].isdigit()]
    media = media_for_events(session, event_ids)
    return {**evidence, "media": media} if media else evidence


def _jsonable(evidence: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in evidence.items()}
