"""People, machines and materials: live state, position now, at a time, and history; a machine's
state and its history from the sensors mounted on it.

Visibility follows the role (seed 004 §3.1.4): operators see themselves, supervisors their
crew, managers everyone. An asset outside the caller's scope answers 403, not its data.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from mineguard.mine.roles import Permission
from mineguard.services.api.batches import time_window
from mineguard.services.api.deps import UnitDep, UserDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.assets import AssetOut, AssetStateOut, KindStateOut, PositionIn, PositionOut
from mineguard.services.api.schemas.readings import ReadingOut
from mineguard.services.auth.scope import may_see, visible_assets
from mineguard.services.events import TwinEvent
from mineguard.services.ingest.schema import KIND_PATTERN
from mineguard.services.storage.models import Asset, User
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import ClockSkewError, IsoTime
from mineguard.services.twin.asset_state import asset_state, mounted_sensors, state_history
from mineguard.services.twin.tracking import NotFound, get_entity, history, position_at, update_position

router = APIRouter(prefix="/api/v1/assets", tags=["assets"])


def visible_asset(unit, user: User, asset_id: str) -> Asset:
    asset = get_entity(unit.session, "asset", asset_id)
    if not may_see(user, asset):
        raise ApiError(
            403,
            f"role {user.role} may not see {asset_id} — operators see themselves, supervisors "
            "their crew, managers everyone",
        )
    return asset


def position_event(asset: Asset, update) -> TwinEvent:
    return TwinEvent(
        "asset.position",
        {
            "asset_id": asset.id,
            "x": update.x,
            "y": update.y,
            "z": update.z,
            "zone_id": update.zone_id,
            "previous_zone_id": update.previous_zone_id,
            "t": update.t.isoformat(),
        },
        asset_id=asset.id,
        crew=asset.crew,
    )


@router.get("", response_model=list[AssetOut], summary="Assets the caller may see")
def list_assets(unit: UnitDep, user: UserDep) -> list[Asset]:
    return list(unit.session.scalars(visible_assets(user)))


@router.get("/me", response_model=AssetOut, summary="The caller's own person asset")
@raises(404)
def my_asset(unit: UnitDep, user: UserDep) -> Asset:
    if user.asset_id is None:
        raise NotFound(f"user {user.username} is not linked to a person — a super-manager sets asset_id")
    return visible_asset(unit, user, user.asset_id)


@router.get("/{asset_id}", response_model=AssetOut)
@raises(403)
def get_asset(asset_id: str, unit: UnitDep, user: UserDep) -> Asset:
    return visible_asset(unit, user, asset_id)


@router.get("/{asset_id}/position", response_model=PositionOut | None, summary="Where was the asset at time t")
@raises(403)
def asset_position_at(asset_id: str, unit: UnitDep, user: UserDep, at: IsoTime | None = Query(None)):
    visible_asset(unit, user, asset_id)
    return position_at(unit.session, "asset", asset_id, at or utc_now())


@router.get("/{asset_id}/history", response_model=list[PositionOut])
@raises(403)
def asset_history(
    asset_id: str,
    unit: UnitDep,
    user: UserDep,
    start: IsoTime | None = Query(None),
    end: IsoTime | None = Query(None),
    limit: int = Query(1000, ge=1, le=10_000),
) -> list:
    visible_asset(unit, user, asset_id)
    start, end = time_window(start, end)
    return history(unit.session, "asset", asset_id, start, end, limit)


@router.get(
    "/{asset_id}/state", response_model=AssetStateOut, summary="A machine's state: newest reading of each sensor kind"
)
@raises(403)
def get_asset_state(asset_id: str, unit: UnitDep, user: UserDep) -> AssetStateOut:
    visible_asset(unit, user, asset_id)
    state = {
        kind: KindStateOut(value=s.value, unit=s.unit, t=s.t, device_id=s.device_id)
        for kind, s in asset_state(unit.session, asset_id).items()
    }
    return AssetStateOut(asset_id=asset_id, state=state)


@router.get(
    "/{asset_id}/state/history",
    response_model=list[ReadingOut],
    summary="The readings of the sensors mounted on the asset in a time window (oldest first)",
)
@raises(403)
def get_asset_state_history(
    asset_id: str,
    unit: UnitDep,
    user: UserDep,
    kind: str | None = Query(None, pattern=KIND_PATTERN, description="only this sensor kind, e.g. running"),
    start: IsoTime | None = Query(None),
    end: IsoTime | None = Query(None),
    limit: int = Query(1000, ge=1, le=10_000),
) -> list:
    visible_asset(unit, user, asset_id)
    if kind is not None:
        kinds = sorted({d.sensor_kind for d in mounted_sensors(unit.session, asset_id) if d.sensor_kind})
        if kind not in kinds:
            problem = (
                f"query.kind: {kind!r} is not measured on {asset_id} — its sensor kinds: {', '.join(kinds) or 'none'}"
            )
            raise ApiError(422, f"the request is not valid: {problem}", [problem])
    start, end = time_window(start, end)
    return state_history(unit.session, asset_id, start, end, kind=kind, limit=limit)


@router.post(
    "/{asset_id}/position",
    response_model=PositionOut,
    status_code=201,
    summary="Record a position by hand (manual check-in / survey fix)",
)
def post_position(
    asset_id: str, body: PositionIn, unit: UnitDep, user: User = require(Permission.MANAGE_DEVICES)
) -> PositionOut:
    asset = get_entity(unit.session, "asset", asset_id)
    xyz, source, skew_s = (body.x_m, body.y_m, body.z_m), f"user:{user.username}", unit.ctx.settings.max_skew_s
    now = utc_now()
    try:
        update = update_position(
            unit.session, unit.ctx.graph, "asset", asset_id, body.t, xyz, source=source, now=now, max_skew_s=skew_s
        )
    except ClockSkewError as exc:
        raise ApiError(422, f"the request is not valid: {exc}", [str(exc)]) from None
    if update.live:
        unit.emit(position_event(asset, update))
    return PositionOut(
        t=update.t, x=update.x, y=update.y, z=update.z, zone_id=update.zone_id, source=f"user:{user.username}"
    )
