"""Events from cameras, face recognition, tags and people, in one schema (``ingest/events.py``).

``POST /api/v1/events`` takes ``{"events": [...]}`` or a bare JSON array (at most 500) from a
registered gateway (``X-Gateway-Id`` + ``X-Gateway-Secret``: a camera box, a face terminal) or a
manager's bearer token. Each event is accepted, counted as a duplicate (same ``event_id`` from
the same device) or refused on its own; refused ones are kept in ``/readings/rejects``. Accepted
events feed the rule engine as ``<source>.<label>`` signals in their zone and go out on the live
stream. ``GET /api/v1/events`` lists them, newest first. Events about a person (by ``asset_id``,
or from a tag the person wears) follow the person's visibility (``services/auth/scope.py``), in the
list and on the stream.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from mineguard.mine.events import EventSource
from mineguard.mine.roles import Permission
from mineguard.services.api.batches import raw_body, refuse_batch, time_window
from mineguard.services.api.deps import SenderDep, UnitDep, require
from mineguard.services.api.refusals import INGEST
from mineguard.services.api.schemas.common import batch_request_body
from mineguard.services.api.schemas.events import EventReportOut, SourceEventOut
from mineguard.services.auth.scope import device_visible, person_visible, stream_scopes
from mineguard.services.events import TwinEvent
from mineguard.services.ingest.events import MAX_EVENTS, EventIn, parse_events, store_events
from mineguard.services.ingest.validate import Rejection
from mineguard.services.storage.models import SourceEvent, User
from mineguard.services.storage.types import utc_now
from mineguard.services.timestamps import IsoTime

router = APIRouter(prefix="/api/v1/events", tags=["events"])

_EVENT = EventIn.model_json_schema()
_BATCH_BODY = batch_request_body("events", _EVENT, MAX_EVENTS)


@router.post(
    "",
    response_model=EventReportOut,
    summary="(gateway or manager) a batch of camera/face/tag events",
    openapi_extra={**INGEST, "requestBody": _BATCH_BODY},
    responses={422: {"description": "not a batch: not JSON, wrong shape or over 500 events"}},
)
def post_events(body: Annotated[bytes, Depends(raw_body)], unit: UnitDep, sender: SenderDep) -> Any:
    now = utc_now()
    items = parse_events(body)
    if isinstance(items, Rejection):
        return refuse_batch(unit, sender, items, now=now)
    report = store_events(unit.session, items, source=sender.source, now=now, max_skew_s=unit.ctx.settings.max_skew_s)
    refused = {r.index for r in report.rejected}
    unit.ctx.metrics.events([item for i, item in enumerate(items) if i not in refused and isinstance(item, dict)])
    scopes = stream_scopes(unit.session, (event.asset_id for event in report.accepted))
    for event in report.accepted:
        unit.emit(
            TwinEvent(
                "event",
                {
                    "id": event.id,
                    "signal": event.signal_key,
                    "t": event.t.isoformat(),
                    "zone_id": event.zone_id,
                    "asset_id": event.asset_id,
                },
                permission=Permission.VIEW_CREW,
                **scopes.get(event.asset_id or "", {}),
            )
        )
    if unit.ctx.pipeline is not None and report.accepted:
        unit.after(lambda: unit.ctx.pipeline.observe_events(report.accepted))
    return report.to_json()


@router.get("", response_model=list[SourceEventOut], summary="Events in a time window, newest first")
def list_events(
    unit: UnitDep,
    source: EventSource | None = Query(None),
    label: str | None = Query(None, max_length=48),
    zone_id: str | None = Query(None, max_length=64),
    asset_id: str | None = Query(None, max_length=64),
    start: IsoTime | None = Query(None),
    end: IsoTime | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
    user: User = require(Permission.VIEW_CREW),
) -> list:
    start, end = time_window(start, end)
    query = select(SourceEvent).where(SourceEvent.t >= start, SourceEvent.t <= end)
    for column, wanted in (
        (SourceEvent.source, source.value if source else None),
        (SourceEvent.label, label),
        (SourceEvent.zone_id, zone_id),
        (SourceEvent.asset_id, asset_id),
    ):
        if wanted is not None:
            query = query.where(column == wanted)
    query = query.where(person_visible(user, SourceEvent.asset_id), device_visible(user, SourceEvent.device_id))
    return list(unit.session.scalars(query.order_by(SourceEvent.t.desc(), SourceEvent.id.desc()).limit(limit)))
