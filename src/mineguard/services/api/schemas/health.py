"""The health check."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from mineguard.services.api.schemas.common import Out


class IngestHealthOut(Out):
    running: bool = Field(description="the ingest worker is alive")
    waiting: int = Field(description="readings received and not yet stored")
    lag_s: float | None = Field(description="how long the oldest waiting reading has waited; null when none waits")
    consecutive_failures: int = Field(description="failed attempts to store since the last success")
    last_error: str | None
    last_stored_at: datetime | None = Field(description="when the worker last stored something (server clock)")
    accepted: int = Field(description="readings the worker stored since the service started")


class HealthOut(Out):
    status: Literal["ok", "unhealthy"]
    version: str
    site: str
    reason: str | None = Field(description="why it is unhealthy; null when ok")
    database: Literal["ok", "unreachable"]
    ingest: IngestHealthOut | None = Field(description="null before the ingest worker has started")
    last_reading_at: datetime | None = Field(description="measurement time of the newest stored sensor reading")
    last_reading_age_s: float | None = Field(description="seconds since last_reading_at")
    mqtt: dict[str, Any] = Field(description="the transport and the MQTT broker check made at start")
