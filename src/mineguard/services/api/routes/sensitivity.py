"""Monitoring sensitivities (fall/faint limits, noise value): read by all, set by the super-manager."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.errors import ApiError, FieldProblem
from mineguard.services.api.schemas.sensitivity import SensitivityIn
from mineguard.services.events import TwinEvent
from mineguard.services.storage.models import Site, User
from mineguard.services.twin.sensitivity import UNITS, Quantity, SettingError, update_sensitivity

router = APIRouter(prefix="/api/v1/sensitivity", tags=["thresholds"])


def _site(unit) -> Site:
    return unit.session.get(Site, unit.ctx.site_id)


def _problem(body: SensitivityIn, exc: SettingError) -> FieldProblem:
    """The change ``exc`` is about, as a path into the body (the whole list when it is about several)."""
    index = next((i for i, change in enumerate(body.changes) if change.key == exc.key), None)
    loc: tuple[str | int, ...] = ("changes",) if index is None else ("changes", index, exc.field or "value")
    lines = str(exc).splitlines()  # a validation error: "sensitivity: 1 problem(s)" and a line per problem
    return FieldProblem.of(loc, "; ".join(line.strip() for line in lines[1:]) or str(exc))


@router.get("", summary="Current sensitivities with their units")
def get_sensitivity(unit: UnitDep, user: User = require(Permission.VIEW_MAP)) -> dict[str, Any]:
    return {"values": _site(unit).sensitivity, "units": UNITS}


@router.put("", summary="Change sensitivities (super-manager only; audited)")
def put_sensitivity(body: SensitivityIn, unit: UnitDep, user: User = require(Permission.SET_THRESHOLDS)) -> dict:
    changes = [Quantity(c.key, c.value, c.unit) for c in body.changes]
    try:
        values = update_sensitivity(unit.session, _site(unit), changes, actor=user.username)
    except SettingError as exc:
        raise ApiError(422, str(exc), [str(exc)], details=[_problem(body, exc)]) from None
    unit.emit(TwinEvent("sensitivity.changed", {"values": values}))
    return {"values": values, "units": UNITS}
