"""Zones of the twin: the zone, its limits, the management-system record, presence spans."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool, StrictInt

from mineguard.services.api.schemas.common import In, Out


class ZoneOut(Out):
    id: str
    name: str
    kind: str
    path: dict[str, Any]
    cross_section_m2: float
    length_m: float
    danger: bool
    staff_limit: int | None
    location_name: str | None
    operating_procedure_id: str | None


class ZoneLimitsIn(In):
    staff_limit: StrictInt | None = Field(default=None, ge=0, le=10_000)
    danger: StrictBool | None = None


class SyncRecordOut(Out):
    """The fields existing management systems take (seed 004 §3.1.3)."""

    zone_id: str
    location_name: str | None
    staff_count: int
    staff_limit: int | None
    operating_procedure_id: str | None


class PresenceOut(Out):
    entity_id: str
    start: datetime
    end: datetime
