"""Sensors, cameras, tags and gateways with their live state and position."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import select

from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.schemas import DeviceOut
from mineguard.services.auth.roles import Permission
from mineguard.services.storage.models import Device, User
from mineguard.services.twin.tracking import get_entity

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut])
def list_devices(unit: UnitDep, kind: str | None = Query(None, pattern="^(sensor|camera|tag|gateway)$"),
                 user: User = require(Permission.VIEW_CREW)) -> list[Device]:  # fmt: skip
    query = select(Device).order_by(Device.id)
    if kind:
        query = query.where(Device.kind == kind)
    return list(unit.session.scalars(query))


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, unit: UnitDep, user: User = require(Permission.VIEW_CREW)) -> Device:
    return get_entity(unit.session, "device", device_id)
