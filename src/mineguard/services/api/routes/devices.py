"""Sensors, cameras, tags and gateways with their live state and position.

A tag paired to a person carries that person's position, so it follows the person's visibility
(``services/auth/scope.py``): outside the caller's scope it is left out of the list and answers 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.schemas.devices import DeviceOut
from mineguard.services.auth.scope import SCOPE_RULE, may_see_device, visible_devices
from mineguard.services.storage.models import Device, User
from mineguard.services.twin.tracking import get_entity

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut])
def list_devices(
    unit: UnitDep,
    kind: str | None = Query(None, pattern="^(sensor|camera|tag|gateway)$"),
    user: User = require(Permission.VIEW_CREW),
) -> list[Device]:
    query = visible_devices(user)
    if kind:
        query = query.where(Device.kind == kind)
    return list(unit.session.scalars(query))


@router.get("/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, unit: UnitDep, user: User = require(Permission.VIEW_CREW)) -> Device:
    return visible_device(unit.session, user, device_id)


def visible_device(session: Session, user: User, device_id: str) -> Device:
    """The device, or 403 when it is a tag worn by a person outside the caller's scope."""
    device = get_entity(session, "device", device_id)
    if not may_see_device(session, user, device):
        worn = f"role {user.role} may not see {device_id}: it is worn by a person outside your scope"
        raise ApiError(403, f"{worn} — {SCOPE_RULE}")
    return device
