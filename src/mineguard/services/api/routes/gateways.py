"""Edge gateways (seed 004 §3.1.2). Managers register, configure and command them; a gateway
itself, with its secret in ``X-Gateway-Secret``, reads its config, polls and acknowledges
commands, and posts tag readings."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.alerts.approach import feed_approach
from mineguard.services.api.deps import GatewayDep, Unit, UnitDep, db_id, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.refusals import INGEST
from mineguard.services.api.responses import raises
from mineguard.services.api.routes.assets import position_event
from mineguard.services.api.schemas.gateways import (
    AckIn,
    CommandIn,
    CommandOut,
    GatewayConfigIn,
    GatewayOut,
    GatewayRegistrationOut,
)
from mineguard.services.api.schemas.tags import TagOutcomeOut, TagReadingsIn
from mineguard.services.events import TwinEvent
from mineguard.services.ingest.store import record_rejections
from mineguard.services.ingest.validate import Rejection, RejectReason
from mineguard.services.iot import commands as cmd
from mineguard.services.iot.gateways import (
    GatewayStateError,
    configure_gateway,
    gateway_config,
    get_gateway,
    register_gateway,
)
from mineguard.services.iot.tags import apply_tag_reading
from mineguard.services.storage.models import Asset, Gateway, GatewayCommand, Site, User
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import ClockSkewError
from mineguard.services.twin.proximity import Fix, PersonFix

router = APIRouter(prefix="/api/v1/gateways", tags=["gateways"])
CommandId = db_id(GatewayCommand.id)
Manage = require(Permission.MANAGE_DEVICES)


def _state_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except (GatewayStateError, cmd.CommandError) as exc:
        raise ApiError(409 if isinstance(exc, GatewayStateError) else 422, str(exc)) from None


@router.get("", response_model=list[GatewayOut])
def list_gateways(unit: UnitDep, user: User = Manage) -> list[Gateway]:
    return list(unit.session.scalars(select(Gateway).order_by(Gateway.device_id)))


@router.post(
    "/{gateway_id}/register",
    response_model=GatewayRegistrationOut,
    status_code=201,
    summary="Register (or re-key) a gateway; returns its secret once",
)
@raises(409)
def register(gateway_id: str, unit: UnitDep, user: User = Manage) -> GatewayRegistrationOut:
    registration = _state_errors(register_gateway, unit.session, gateway_id, actor=user.username)
    unit.emit(TwinEvent("gateway.registered", {"gateway_id": gateway_id}, permission=Permission.MANAGE_DEVICES))
    return GatewayRegistrationOut(gateway_id=gateway_id, secret=registration.secret)


@router.put("/{gateway_id}/config", response_model=GatewayOut, summary="Scan window, geo-location, destination")
@raises(409)
def configure(gateway_id: str, body: GatewayConfigIn, unit: UnitDep, user: User = Manage) -> Gateway:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return _state_errors(configure_gateway, unit.session, gateway_id, changes, actor=user.username)


@router.post("/{gateway_id}/commands", response_model=CommandOut, status_code=201)
@raises(409)
def send_command(gateway_id: str, body: CommandIn, unit: UnitDep, user: User = Manage) -> CommandOut:
    gateway = _state_errors(get_gateway, unit.session, gateway_id)
    row = _state_errors(
        cmd.queue_command, unit.session, gateway, body.command, body.args, actor=user.username, timeout_s=body.timeout_s
    )
    return CommandOut.model_validate(row)


@router.get("/{gateway_id}/commands", response_model=list[CommandOut], summary="Command history")
@raises(409)
def list_commands(gateway_id: str, unit: UnitDep, user: User = Manage) -> list:
    _state_errors(get_gateway, unit.session, gateway_id)
    return cmd.command_history(unit.session, gateway_id)


# --- called by the gateway itself
@router.get("/{gateway_id}/config/current", summary="(gateway) its configuration")
def current_config(gateway: GatewayDep) -> dict:
    return gateway_config(gateway)


@router.post("/{gateway_id}/commands/poll", response_model=list[CommandOut], summary="(gateway) fetch commands")
def poll(gateway: GatewayDep, unit: UnitDep) -> list:
    return cmd.deliver_commands(unit.session, gateway)


@router.post("/{gateway_id}/commands/{command_id}/ack", response_model=CommandOut, summary="(gateway) report result")
@raises(409)
def ack(command_id: CommandId, body: AckIn, gateway: GatewayDep, unit: UnitDep) -> CommandOut:
    try:
        row = cmd.acknowledge(unit.session, gateway, command_id, ok=body.ok, result=body.result)
    except cmd.CommandError as exc:
        raise ApiError(409, str(exc)) from None
    return CommandOut.model_validate(row)


@router.post(
    "/{gateway_id}/readings",
    response_model=list[TagOutcomeOut],
    summary="(gateway) tag readings batch",
    openapi_extra=INGEST,
)
def readings(body: TagReadingsIn, gateway: GatewayDep, unit: UnitDep) -> list[TagOutcomeOut]:
    """One outcome per fix, in order. A fix more than ``max_skew_s`` ahead of the server clock is
    refused alone (``refused`` says why; kept among the rejects as ``clock_skew``), the rest applied.
    Once the batch has committed, the twin derives the approach signals from it, once per batch."""
    site = unit.session.get(Site, unit.ctx.site_id)
    now, skew_s = utc_now(), unit.ctx.settings.max_skew_s
    outcomes, refused, moved = [], [], []
    for i, reading in enumerate(body.readings):
        if reading.accel_g is not None and reading.rate_hz is None:
            raise ApiError(422, f"readings[{i}]: accel_g needs rate_hz (samples per second)")
        accel = np.asarray(reading.accel_g, dtype=float) if reading.accel_g is not None else None
        xyz = (reading.x_m, reading.y_m, reading.z_m)
        try:
            outcome = apply_tag_reading(
                unit.session,
                unit.ctx.graph,
                site,
                gateway_id=gateway.device_id,
                barcode=reading.barcode,
                t=reading.t,
                xyz=xyz,
                accel_g=accel,
                rate_hz=reading.rate_hz,
                now=now,
                max_skew_s=skew_s,
            )
        except ClockSkewError as exc:  # this fix alone: nothing of it was written
            why = f"readings[{i}].{exc}"
            refused.append(Rejection(i, RejectReason.CLOCK_SKEW, why, raw=reading.model_dump_json().encode()))
            outcomes.append(
                TagOutcomeOut(barcode=reading.barcode, asset_id=None, zone_id=None, motion=None, refused=why)
            )
            continue
        except ValueError as exc:
            raise ApiError(422, f"readings[{i}]: {exc}") from None
        except KeyError as exc:
            raise ApiError(404, f"readings[{i}]: {exc}") from None
        if outcome.asset_id is not None:
            asset = unit.session.get(Asset, outcome.asset_id)
            if outcome.position.live:
                unit.emit(position_event(asset, outcome.position))
                moved.append(PersonFix(asset.id, Fix(reading.t, xyz)))
            if outcome.motion_changed:
                unit.emit(
                    TwinEvent(
                        "asset.motion",
                        {
                            "asset_id": asset.id,
                            "motion": outcome.motion,
                            "reason": outcome.reason,
                            "zone_id": asset.zone_id,
                        },
                        asset_id=asset.id,
                        crew=asset.crew,
                    )
                )
        outcomes.append(
            TagOutcomeOut(
                barcode=outcome.barcode,
                asset_id=outcome.asset_id,
                zone_id=outcome.position.zone_id,
                motion=outcome.motion,
            )
        )
    record_rejections(unit.session, refused, source=f"http:{gateway.device_id}", now=now)
    _derive_after_commit(unit, moved)
    return outcomes


def _derive_after_commit(unit: Unit, moved: list[PersonFix]) -> None:
    """Feed the approach signals of these people's new fixes to the rules once the batch has committed."""
    ctx = unit.ctx
    if moved and ctx.pipeline is not None:
        pipeline, graph, tracker = ctx.pipeline, ctx.graph, ctx.approach
        unit.after(lambda: feed_approach(pipeline, graph, tracker, moved))
