"""Sensor readings: the HTTP batch ingest, history per sensor, the rejects and their counts.

``POST /api/v1/readings`` takes ``{"readings": [...]}`` or a bare JSON array (at most 1000; the
wire contract is in ``mineguard.services.ingest.schema``) from a registered gateway
(``X-Gateway-Id`` + ``X-Gateway-Secret``) or a manager's bearer token. The body is read raw,
so each reading is accepted, counted as a duplicate or rejected on its own: the answer is 200
with a per-reading report whenever the batch could be read, and everything in it is committed
(rejects included, in ``rejected_payloads``), so a sender resends nothing after a 200. A body
that is not a batch at all (not JSON, wrong shape, over 1000 readings) answers 422 and is kept
as a reject too. When the database cannot be reached the answer is 503 with ``Retry-After`` and a
message that nothing was stored. A 5xx or lost answer means: send the same batch again (ingest is
idempotent on ``(device_id, seq)``: a re-sent reading is counted as a duplicate, never stored twice).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import case, func, select

from mineguard.mine.roles import Permission
from mineguard.services.api.batches import raw_body, refuse_batch, time_window
from mineguard.services.api.deps import SenderDep, UnitDep, require
from mineguard.services.api.refusals import INGEST
from mineguard.services.api.responses import raises
from mineguard.services.api.routes.devices import visible_device
from mineguard.services.api.schemas.common import batch_request_body
from mineguard.services.api.schemas.readings import IngestReportOut, ReadingOut, ReadingStatsOut, RejectedPayloadOut
from mineguard.services.events import reading_event
from mineguard.services.ingest.schema import MAX_BATCH, Reading
from mineguard.services.ingest.store import IngestReport, ingest
from mineguard.services.ingest.validate import Rejection, RejectReason, parse_batch
from mineguard.services.storage.models import RejectedPayload, SensorReading, User
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import IsoTime
from mineguard.warning.sensing.checks import Flag

router = APIRouter(prefix="/api/v1/readings", tags=["readings"])
Manage = require(Permission.MANAGE_DEVICES)

_READING = Reading.model_json_schema()
_BATCH_BODY = batch_request_body("readings", _READING, MAX_BATCH)


@router.post(
    "",
    response_model=IngestReportOut,
    summary="(gateway or manager) a batch of sensor readings",
    openapi_extra={**INGEST, "requestBody": _BATCH_BODY},
    responses={422: {"description": "not a batch: not JSON, wrong shape or over 1000 readings"}},
)
def post_readings(body: Annotated[bytes, Depends(raw_body)], unit: UnitDep, sender: SenderDep) -> Any:
    now = utc_now()
    batch = parse_batch(body, max_batch=MAX_BATCH)
    if isinstance(batch, Rejection):
        unit.ctx.http_totals.add(IngestReport(), [batch])
        return refuse_batch(unit, sender, batch, now=now)
    report = ingest(
        unit.session,
        batch,
        source=sender.source,
        now=now,
        max_skew_s=unit.ctx.settings.max_skew_s,
        cleanser=unit.ctx.cleanser,
    )
    unit.ctx.http_totals.add(report, [])
    for device_id, state in report.live.items():
        unit.emit(reading_event(device_id, state))
    if unit.ctx.pipeline is not None and report.accepted:
        unit.after(lambda: unit.ctx.pipeline.observe_readings(report.accepted))
    return report.to_json()


@router.get("", response_model=list[ReadingOut], summary="One sensor's readings in a time window (oldest first)")
@raises(404)  # device_id names no device
def list_readings(
    unit: UnitDep,
    device_id: str = Query(max_length=64),
    start: IsoTime | None = Query(None),
    end: IsoTime | None = Query(None),
    limit: int = Query(1000, ge=1, le=10_000),
    user: User = require(Permission.VIEW_CREW),
) -> list:
    visible_device(unit.session, user, device_id)  # a tag worn by someone outside the caller's scope: 403
    start, end = time_window(start, end)
    query = (
        select(SensorReading)
        .where(SensorReading.device_id == device_id, SensorReading.t >= start, SensorReading.t <= end)
        .order_by(SensorReading.t, SensorReading.seq)
        .limit(limit)
    )
    return list(unit.session.scalars(query))


@router.get("/rejects", response_model=list[RejectedPayloadOut], summary="Refused payloads, newest first")
def list_rejects(
    unit: UnitDep,
    reason: RejectReason | None = Query(None),
    device_id: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
    user: User = Manage,
) -> list:
    query = select(RejectedPayload).order_by(RejectedPayload.id.desc()).limit(limit)
    if reason is not None:
        query = query.where(RejectedPayload.reason == reason.value)
    if device_id is not None:
        query = query.where(RejectedPayload.device_id == device_id)
    return list(unit.session.scalars(query))


@router.get("/stats", response_model=ReadingStatsOut, summary="Stored readings, flagged readings by flag, rejects")
def reading_stats(unit: UnitDep, user: User = Manage) -> ReadingStatsOut:
    flags = SensorReading.flags
    per_flag = [func.sum(case((flags.op("&")(int(flag)) != 0, 1), else_=0)) for flag in Flag]
    totals = unit.session.execute(
        select(func.count(), func.sum(case((flags != 0, 1), else_=0)), *per_flag).select_from(SensorReading)
    ).one()
    stored, flagged, *by_bit = (int(total or 0) for total in totals)
    by_flag = {flag.name.lower(): count for flag, count in zip(Flag, by_bit, strict=True)}
    rows = unit.session.execute(select(RejectedPayload.reason, func.count()).group_by(RejectedPayload.reason))
    counts = {reason: count for reason, count in rows}
    by_reason = {reason.value: int(counts.get(reason.value, 0)) for reason in RejectReason}
    return ReadingStatsOut(
        readings=stored,
        flagged=flagged,
        flagged_by_flag=by_flag,
        rejected=sum(by_reason.values()),
        rejected_by_reason=by_reason,
    )
