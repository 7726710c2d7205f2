"""Pair a wearable tag to a person by the barcode printed on it."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.devices import DeviceOut
from mineguard.services.api.schemas.tags import PairIn
from mineguard.services.iot.tags import PairingError, pair_tag, unpair_tag
from mineguard.services.storage.models import Device, User

router = APIRouter(prefix="/api/v1/tags", tags=["tags"])
Manage = require(Permission.MANAGE_DEVICES)


@router.get("", response_model=list[DeviceOut])
def list_tags(unit: UnitDep, user: User = Manage) -> list[Device]:
    return list(unit.session.scalars(select(Device).where(Device.kind == "tag").order_by(Device.id)))


@router.post("/pair", response_model=DeviceOut)
@raises(404, 409)  # 404: no tag with this barcode, or no such asset
def pair(body: PairIn, unit: UnitDep, user: User = Manage) -> Device:
    try:
        return pair_tag(unit.session, body.barcode, body.asset_id, actor=user.username, force=body.force)
    except PairingError as exc:
        raise ApiError(409, str(exc)) from None


@router.delete("/{barcode}/pair", response_model=DeviceOut)
def unpair(barcode: str, unit: UnitDep, user: User = Manage) -> Device:
    return unpair_tag(unit.session, barcode, actor=user.username)
