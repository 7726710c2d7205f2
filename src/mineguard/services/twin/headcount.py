"""Who is underground now, from the stored evidence: gate passages and each person's fixes.

The reconciliation itself is :func:`mineguard.mine.headcount.judge`; this module reads its inputs
from the database for every person of the site: the faces identified at the site's check-in gates
with a ``direction`` (``source_events``) and the person's position history (``position_history``,
moved by their tag), both within the site's look-back. The rescue list (:func:`rescue_list`) adds
each underground person's nearest refuge chamber from the zone graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.headcount import DIRECTIONS, GatePassage, HeadcountSite, Presence, TagFix, judge
from mineguard.services.storage.models import Asset, PositionRecord, Site, SourceEvent, Zone

MAX_FIXES = 500  # newest fixes read per person: enough for the trail and the current run underground


def headcount_site(session: Session, site_id: str) -> HeadcountSite | None:
    """The site's headcount data (``headcount:``, ``shifts:``, surface zones); None when it has none."""
    row = session.get(Site, site_id)
    return HeadcountSite.from_site_dict(row.config or {}) if row is not None else None


@dataclass(frozen=True)
class PersonState:
    """A person of the site and their reconciled presence."""

    asset: Asset
    presence: Presence


def presences(session: Session, site: HeadcountSite, now: datetime) -> list[PersonState]:
    """Every person's presence at ``now``, by person id."""
    start = now - timedelta(hours=site.config.lookback_h)
    people = list(session.scalars(select(Asset).where(Asset.kind == "person").order_by(Asset.id)))
    passages = _passages(session, site, start, now)
    states = []
    for person in people:
        fixes = _fixes(session, person.id, start, now)
        presence = judge(person.id, person.crew, passages.get(person.id, []), fixes, site=site, now=now)
        states.append(PersonState(person, presence))
    return states


def _passages(session: Session, site: HeadcountSite, start: datetime, end: datetime) -> dict[str, list[GatePassage]]:
    rows = session.scalars(
        select(SourceEvent)
        .where(SourceEvent.zone_id.in_(site.config.gates), SourceEvent.t >= start, SourceEvent.t <= end)
        .where(SourceEvent.source == "face", SourceEvent.label == "identified", SourceEvent.asset_id.is_not(None))
        .order_by(SourceEvent.t, SourceEvent.id)
    )
    found: dict[str, list[GatePassage]] = defaultdict(list)
    for row in rows:
        direction = (row.attributes or {}).get("direction")
        if direction in DIRECTIONS and row.asset_id and row.zone_id:
            found[row.asset_id].append(GatePassage(row.t, direction, row.zone_id, row.id))
    return found


def _fixes(session: Session, person_id: str, start: datetime, end: datetime) -> list[TagFix]:
    rows = session.scalars(
        select(PositionRecord)
        .where(PositionRecord.entity_kind == "asset", PositionRecord.entity_id == person_id)
        .where(PositionRecord.t >= start, PositionRecord.t <= end)
        .order_by(PositionRecord.t.desc(), PositionRecord.id.desc())
        .limit(MAX_FIXES)
    )
    return [TagFix(row.t, row.zone_id, (row.x, row.y, row.z), row.source) for row in reversed(list(rows))]


@dataclass(frozen=True)
class RescueEntry:
    """One person underground now, where last seen and the way to the nearest refuge chamber."""

    person: PersonState
    zone_id: str | None
    zone_name: str | None
    refuge_route: list[str] | None  # zone ids from the last zone to the refuge, both included


def rescue_list(session: Session, site: HeadcountSite, graph: ZoneGraph, now: datetime) -> list[RescueEntry]:
    """Everyone underground at ``now``, by zone then person id."""
    zones = {zone.id: zone for zone in session.scalars(select(Zone))}
    refuges = [zone_id for zone_id, zone in zones.items() if zone.kind == "refuge"]
    entries = []
    for state in presences(session, site, now):
        if not state.presence.underground:
            continue
        zone_id = state.presence.last_zone
        route = graph.nearest(zone_id, refuges) if zone_id in graph.shapes else None
        zone_name = zones[zone_id].name if zone_id in zones else None
        entries.append(RescueEntry(state, zone_id, zone_name, route))
    return sorted(entries, key=lambda entry: (entry.zone_id or "~", entry.person.asset.id))
