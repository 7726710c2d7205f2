"""Liveness for monitors and load balancers (no login): the database answers and ingest keeps up.

``GET /api/v1/health`` answers 200 ``{"status": "ok", ...}``, or 503 ``{"status": "unhealthy",
"reason": ...}`` when the database does not answer, the ingest worker has died, or a received
reading has waited unstored longer than ``MINEGUARD_INGEST_STUCK_S``. Either way the body shows
the ingest lag, the messages waiting, failures in a row and the newest stored reading's age.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from mineguard import __version__
from mineguard.services.api.context import ServiceContext
from mineguard.services.api.deps import get_ctx
from mineguard.services.api.schemas.health import HealthOut, IngestHealthOut
from mineguard.services.ingest.broker_check import broker_health
from mineguard.services.ingest.history import newest_reading_time
from mineguard.services.storage.types import utc_now

router = APIRouter(prefix="/api/v1/health", tags=["health"])
_UNHEALTHY = {503: {"model": HealthOut, "description": "unhealthy: the database does not answer or ingest is stuck"}}


@router.get("", response_model=HealthOut, responses=_UNHEALTHY, summary="Database, ingest lag, newest reading")
def health(ctx: Annotated[ServiceContext, Depends(get_ctx)]) -> JSONResponse:
    now, problems = utc_now(), []
    database, last_reading = "ok", None
    try:
        with ctx.sessions() as session:
            last_reading = newest_reading_time(session)
    except (SQLAlchemyError, OSError) as exc:
        database = "unreachable"
        problems.append(f"the database does not answer ({type(exc).__name__}) — check that it runs and is reachable")
    status = ctx.ingest.status() if ctx.ingest is not None else None
    if status is not None and (problem := status.problem(ctx.settings.ingest_stuck_s)):
        problems.append(problem)
    body = HealthOut(
        status="unhealthy" if problems else "ok",
        version=__version__,
        site=ctx.site_id,
        reason="; ".join(problems) or None,
        database=database,
        ingest=IngestHealthOut(**status.to_json()) if status is not None else None,
        last_reading_at=last_reading,
        last_reading_age_s=None if last_reading is None else round(max(0.0, (now - last_reading).total_seconds()), 3),
        mqtt=broker_health(ctx.broker_check),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if problems else 200)
