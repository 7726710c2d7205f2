"""Source events (camera, face, tag, ...): the ingest report and a stored event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from mineguard.services.api.schemas.common import Out, RejectOut


class EventReportOut(Out):
    accepted: int
    duplicates: int = Field(description="events whose event_id was stored before: not stored again")
    rejected: int
    ids: list[int] = Field(description="ids of the stored events, in batch order")
    rejects: list[RejectOut]


class SourceEventOut(Out):
    id: int
    source: str
    label: str
    t: datetime
    received_at: datetime
    device_id: str | None
    zone_id: str | None
    asset_id: str | None
    confidence: float | None
    value: float
    bbox: list[float] | None
    attributes: dict[str, Any]
