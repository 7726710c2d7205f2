"""The mine map: zones, their limits, who was in a zone, and the sync feed for existing systems."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.schemas.zones import PresenceOut, SyncRecordOut, ZoneLimitsIn, ZoneOut
from mineguard.services.auth.scope import visible_assets
from mineguard.services.events import TwinEvent
from mineguard.services.storage.models import User, Zone
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import IsoTime
from mineguard.services.twin import tracking
from mineguard.services.twin.sensitivity import update_zone_limits
from mineguard.services.twin.tracking import occupants, staff_counts

router = APIRouter(prefix="/api/v1/zones", tags=["zones"])


@router.get("", response_model=list[ZoneOut])
def list_zones(unit: UnitDep, user: User = require(Permission.VIEW_MAP)) -> list[Zone]:
    return list(unit.session.scalars(select(Zone).order_by(Zone.id)))


@router.get("/sync", response_model=list[SyncRecordOut], summary="Location name, staff count, procedure id")
def sync_feed(unit: UnitDep, user: User = require(Permission.VIEW_ALL_STAFF)) -> list[SyncRecordOut]:
    counts = staff_counts(unit.session)
    return [
        SyncRecordOut(
            zone_id=z.id,
            location_name=z.location_name,
            staff_count=counts.get(z.id, 0),
            staff_limit=z.staff_limit,
            operating_procedure_id=z.operating_procedure_id,
        )
        for z in unit.session.scalars(select(Zone).order_by(Zone.id))
    ]


@router.get("/{zone_id}", response_model=ZoneOut)
def read_zone(zone_id: str, unit: UnitDep, user: User = require(Permission.VIEW_MAP)) -> Zone:
    return tracking.get_zone(unit.session, zone_id)


@router.patch("/{zone_id}/limits", response_model=ZoneOut, summary="Change staff limit or danger mark")
def set_limits(
    zone_id: str, body: ZoneLimitsIn, unit: UnitDep, user: User = require(Permission.SET_THRESHOLDS)
) -> Zone:
    zone = tracking.get_zone(unit.session, zone_id)
    update_zone_limits(unit.session, zone, actor=user.username, staff_limit=body.staff_limit, danger=body.danger)
    unit.emit(TwinEvent("zone.limits", {"zone_id": zone.id, "staff_limit": zone.staff_limit, "danger": zone.danger}))
    return zone


@router.get("/{zone_id}/occupants", response_model=list[PresenceOut], summary="Who was in the zone between t1 and t2")
def zone_occupants(
    zone_id: str,
    unit: UnitDep,
    start: Annotated[IsoTime, Query()],
    end: IsoTime | None = Query(None),
    user: User = require(Permission.VIEW_CREW),
) -> list[PresenceOut]:  # a bare `start: IsoTime = Query()` would lose IsoTime's validator in FastAPI
    tracking.get_zone(unit.session, zone_id)
    end_t: datetime = end or utc_now()
    if end_t < start:
        raise ApiError(422, f"end {end_t.isoformat()} is before start {start.isoformat()} — swap them")
    allowed = {asset.id for asset in unit.session.scalars(visible_assets(user))}
    return [
        PresenceOut(entity_id=p.entity_id, start=p.start, end=p.end)
        for p in occupants(unit.session, zone_id, start, end_t)
        if p.entity_id in allowed
    ]
