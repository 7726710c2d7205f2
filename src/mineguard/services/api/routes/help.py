"""Call for outside help (supervisors and up; seed 004 §3.1.4). Each call is audited and streamed."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.help import HelpIn, HelpOut
from mineguard.services.audit import log as audit
from mineguard.services.auth.scope import person_visible, stream_scopes
from mineguard.services.events import TwinEvent
from mineguard.services.storage.models import HelpCall, User
from mineguard.services.twin.tracking import get_entity, get_zone

router = APIRouter(prefix="/api/v1/help", tags=["help"])
Help = require(Permission.CALL_HELP)


@router.post("", response_model=HelpOut, status_code=201)
@raises(404)  # zone_id names no zone
def call_help(body: HelpIn, unit: UnitDep, user: User = Help) -> HelpCall:
    zone_id = body.zone_id
    if body.asset_id is not None:
        asset = get_entity(unit.session, "asset", body.asset_id)
        zone_id = zone_id or asset.zone_id
    if body.zone_id is not None:
        get_zone(unit.session, body.zone_id)
    row = HelpCall(called_by=user.username, zone_id=zone_id, asset_id=body.asset_id, message=body.message)
    unit.session.add(row)
    unit.session.flush()
    audit.append(
        unit.session,
        actor=user.username,
        action="help.called",
        subject=f"help:{row.id}",
        payload={"zone_id": zone_id, "asset_id": body.asset_id, "message": body.message},
    )
    unit.emit(
        TwinEvent(
            "help.called",
            {
                "id": row.id,
                "zone_id": zone_id,
                "asset_id": body.asset_id,
                "message": body.message,
                "called_by": user.username,
            },
            **stream_scopes(unit.session, [body.asset_id]).get(body.asset_id or "", {}),
        )
    )
    return row


@router.get("", response_model=list[HelpOut])
def list_help(unit: UnitDep, user: User = Help) -> list[HelpCall]:
    query = select(HelpCall).where(person_visible(user, HelpCall.asset_id))  # calls about people in the caller's scope
    return list(unit.session.scalars(query.order_by(HelpCall.id.desc()).limit(200)))
