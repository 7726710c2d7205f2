"""Probes for orchestrators and monitoring (no login, nothing personal): ``/healthz``, ``/readyz``, ``/metrics``.

* ``GET /healthz`` — liveness: the process answers HTTP. 200 always; restart the service when it stops answering.
* ``GET /readyz`` — readiness, telling the truth about what the service depends on: the database answers, the
  ingest worker runs and is not stuck, and — when readings come over MQTT — the broker is connected. 503 with
  the failing checks named when any fails. Cameras are reported (each site camera's newest health report:
  ``up``, ``down`` or ``unknown``) but a down camera does not make the service unready: it still takes
  readings and raises alerts, and the camera-down alert says what is wrong.
* ``GET /metrics`` — Prometheus text format (:mod:`mineguard.services.observability.metrics`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from mineguard.services.api.context import ServiceContext
from mineguard.services.api.deps import get_ctx
from mineguard.services.observability.metrics import CONTENT_TYPE
from mineguard.services.storage.models import Device, SourceEvent

router = APIRouter(tags=["probes"])


class CheckOut(BaseModel):
    name: Literal["database", "ingest", "broker"]
    ok: bool
    detail: str


class ReadyOut(BaseModel):
    ready: bool
    checks: list[CheckOut]
    cameras: dict[str, Literal["up", "down", "unknown"]]


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "not ready: the failing checks say why"}},
    summary="Readiness: database, ingest, broker; camera health reported",
)
def readyz(ctx: Annotated[ServiceContext, Depends(get_ctx)]) -> JSONResponse:
    checks, cameras = [], {}
    try:
        with ctx.sessions() as session:
            cameras = _camera_states(session, ctx.site_id)
        checks.append(CheckOut(name="database", ok=True, detail="answers"))
    except (SQLAlchemyError, OSError) as exc:
        checks.append(CheckOut(name="database", ok=False, detail=f"does not answer ({type(exc).__name__})"))
    status = ctx.ingest.status() if ctx.ingest is not None else None
    if status is None:
        checks.append(CheckOut(name="ingest", ok=False, detail="the ingest worker has not started"))
    else:
        problem = status.problem(ctx.settings.ingest_stuck_s)
        checks.append(CheckOut(name="ingest", ok=problem is None, detail=problem or f"{status.waiting} waiting"))
    if ctx.settings.mqtt_url:
        connected = bool(getattr(ctx.bus, "connected", False))
        detail = "connected" if connected else f"not connected to {ctx.settings.mqtt_url} — readings are not arriving"
        checks.append(CheckOut(name="broker", ok=connected, detail=detail))
    body = ReadyOut(ready=all(c.ok for c in checks), checks=checks, cameras=cameras)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if body.ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(ctx: Annotated[ServiceContext, Depends(get_ctx)]) -> Response:
    return Response(ctx.metrics.exposition(), media_type=CONTENT_TYPE)


def _camera_states(session, site_id: str) -> dict[str, Literal["up", "down", "unknown"]]:
    """Each site camera's newest ``system.camera_down`` report: value 1 = down."""
    ids = session.scalars(select(Device.id).where(Device.site_id == site_id, Device.kind == "camera")).all()
    newest = (
        select(SourceEvent.device_id, func.max(SourceEvent.t).label("t"))
        .where(SourceEvent.source == "system", SourceEvent.label == "camera_down", SourceEvent.device_id.in_(ids))
        .group_by(SourceEvent.device_id)
        .subquery()
    )
    rows = session.execute(
        select(SourceEvent.device_id, SourceEvent.value)
        .join(newest, (SourceEvent.device_id == newest.c.device_id) & (SourceEvent.t == newest.c.t))
        .where(SourceEvent.source == "system", SourceEvent.label == "camera_down")
    ).all()
    states: dict[str, Literal["up", "down", "unknown"]] = {camera: "unknown" for camera in sorted(ids)}
    for camera, value in rows:
        states[camera] = "down" if value else "up"
    return states
