"""Live position and state of assets and devices, with their time history (seed 004 §3.1.1).

Every update is appended to the history; the live row changes only when the update is not
older than what it holds, so late (out-of-order) data fills the history without moving the dot
on the map backwards. Fixes from outside are checked against the server clock first
(``now``): one from the future would otherwise hold the live row for good. Queries answer
"where was X at time t" and "who was in zone Z between t1 and t2" from the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from mineguard.mine.graph import ZoneGraph
from mineguard.services.storage.models import Asset, Device, PositionRecord, StateRecord, Zone
from mineguard.services.timestamps import MAX_SKEW_S, ClockSkewError, clock_skew

EntityKind = Literal["asset", "device"]
_MODELS: dict[str, type[Asset] | type[Device]] = {"asset": Asset, "device": Device}


class NotFound(KeyError):
    """An id that names nothing; the message says which id and where to look."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


def get_entity(session: Session, kind: EntityKind, entity_id: str) -> Asset | Device:
    entity = session.get(_MODELS[kind], entity_id)
    if entity is None:
        raise NotFound(f"{kind} {entity_id!r} does not exist — list them at GET /api/v1/{kind}s")
    return entity


def get_zone(session: Session, zone_id: str) -> Zone:
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFound(f"zone {zone_id!r} does not exist — list zones at GET /api/v1/zones")
    return zone


@dataclass(frozen=True)
class PositionUpdate:
    entity_kind: str
    entity_id: str
    t: datetime
    x: float
    y: float
    z: float
    zone_id: str | None
    previous_zone_id: str | None
    live: bool  # False for late data that only went to the history

    @property
    def zone_changed(self) -> bool:
        return self.live and self.zone_id != self.previous_zone_id


def update_position(
    session: Session,
    graph: ZoneGraph,
    kind: EntityKind,
    entity_id: str,
    t: datetime,
    xyz: tuple[float, float, float],
    source: str = "api",
    *,
    now: datetime | None = None,
    max_skew_s: float = MAX_SKEW_S,
) -> PositionUpdate:
    """Append the fix to the history; move the live row when the fix is not older than it.

    With ``now`` (fixes from outside: the API, gateways) a fix more than ``max_skew_s`` ahead of
    ``now`` raises :class:`ClockSkewError` before anything is written, and a live row that is
    itself that far ahead (written before this check existed) no longer holds the dot back.
    """
    if now is not None and (skew := clock_skew(t, now, max_skew_s)):
        raise ClockSkewError(skew)
    entity = get_entity(session, kind, entity_id)
    x, y, z = (float(v) for v in xyz)
    zone_id = graph.locate(x, y, z)
    session.add(
        PositionRecord(entity_kind=kind, entity_id=entity_id, t=t, x=x, y=y, z=z, zone_id=zone_id, source=source)
    )
    previous = entity.zone_id
    held = entity.updated_at
    from_the_future = held is not None and now is not None and clock_skew(held, now, max_skew_s) is not None
    live = held is None or t >= held or from_the_future
    if live:
        entity.x, entity.y, entity.z, entity.zone_id, entity.updated_at = x, y, z, zone_id, t
    return PositionUpdate(kind, entity_id, t, x, y, z, zone_id, previous, live)


def update_state(session: Session, kind: EntityKind, entity_id: str, t: datetime, changes: dict[str, Any]) -> bool:
    """Merge ``changes`` into the live state; returns True when the live state changed.

    A change older than the live row goes to the history only: a delayed "walking" chunk must
    not clear a newer fall.
    """
    entity = get_entity(session, kind, entity_id)
    if entity.updated_at is not None and t < entity.updated_at:
        session.add(StateRecord(entity_kind=kind, entity_id=entity_id, t=t, state=changes))
        return False
    merged = {**(entity.state or {}), **changes}
    if merged == entity.state:
        return False
    session.add(StateRecord(entity_kind=kind, entity_id=entity_id, t=t, state=changes))
    entity.state = merged
    if entity.updated_at is None or t > entity.updated_at:
        entity.updated_at = t
    return True


def position_at(session: Session, kind: EntityKind, entity_id: str, t: datetime) -> PositionRecord | None:
    """The last recorded position at or before ``t`` (None if the entity was not yet tracked)."""
    get_entity(session, kind, entity_id)
    query = (
        select(PositionRecord)
        .where(PositionRecord.entity_kind == kind, PositionRecord.entity_id == entity_id, PositionRecord.t <= t)
        .order_by(PositionRecord.t.desc(), PositionRecord.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def history(
    session: Session, kind: EntityKind, entity_id: str, start: datetime, end: datetime, limit: int = 10_000
) -> list[PositionRecord]:
    get_entity(session, kind, entity_id)
    query = (
        select(PositionRecord)
        .where(PositionRecord.entity_kind == kind, PositionRecord.entity_id == entity_id)
        .where(PositionRecord.t >= start, PositionRecord.t <= end)
        .order_by(PositionRecord.t, PositionRecord.id)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Presence:
    """``entity_id`` was in the zone from ``start`` to ``end`` (clipped to the query window)."""

    entity_kind: str
    entity_id: str
    start: datetime
    end: datetime


def occupants(
    session: Session, zone_id: str, start: datetime, end: datetime, kind: EntityKind = "asset"
) -> list[Presence]:
    """Who was in ``zone_id`` at any time in [start, end], with the periods they were there."""
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()} — swap them")
    last_before = (
        select(PositionRecord.entity_id, func.max(PositionRecord.t).label("t"))
        .where(PositionRecord.entity_kind == kind, PositionRecord.t < start)
        .group_by(PositionRecord.entity_id)
        .subquery()
    )
    was_in_at_start = (
        select(PositionRecord.entity_id)
        .join(
            last_before, and_(PositionRecord.entity_id == last_before.c.entity_id, PositionRecord.t == last_before.c.t)
        )
        .where(PositionRecord.entity_kind == kind, PositionRecord.zone_id == zone_id)
    )
    entered = select(PositionRecord.entity_id).where(
        PositionRecord.entity_kind == kind,
        PositionRecord.zone_id == zone_id,
        PositionRecord.t >= start,
        PositionRecord.t <= end,
    )
    candidates = set(session.scalars(was_in_at_start)) | set(session.scalars(entered))
    presences: list[Presence] = []
    for entity_id in sorted(candidates):
        before = session.scalar(
            select(PositionRecord)
            .where(PositionRecord.entity_kind == kind, PositionRecord.entity_id == entity_id, PositionRecord.t < start)
            .order_by(PositionRecord.t.desc(), PositionRecord.id.desc())
            .limit(1)
        )
        records = history(session, kind, entity_id, start, end)
        timeline = ([(start, before.zone_id)] if before else []) + [(r.t, r.zone_id) for r in records]
        opened: datetime | None = None
        for t, zone in timeline:
            if zone == zone_id and opened is None:
                opened = t
            elif zone != zone_id and opened is not None:
                presences.append(Presence(kind, entity_id, opened, t))
                opened = None
        if opened is not None:
            presences.append(Presence(kind, entity_id, opened, end))
    return presences


def staff_counts(session: Session) -> dict[str, int]:
    """People per zone now (live rows)."""
    rows = session.execute(
        select(Asset.zone_id, func.count())
        .where(Asset.kind == "person", Asset.zone_id.is_not(None))
        .group_by(Asset.zone_id)
    )
    return {zone_id: count for zone_id, count in rows}
