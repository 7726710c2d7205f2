"""Calls for help."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mineguard.services.api.schemas.common import In, Out


class HelpIn(In):
    message: str = Field(min_length=3, max_length=2000)
    zone_id: str | None = Field(default=None, max_length=64)
    asset_id: str | None = Field(default=None, max_length=64)


class HelpOut(Out):
    id: int
    t: datetime
    called_by: str
    zone_id: str | None
    asset_id: str | None
    message: str
