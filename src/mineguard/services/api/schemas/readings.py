"""Sensor readings: a stored reading, the ingest report, refused payloads and the counts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mineguard.services.api.schemas.common import Out, RejectOut


class ReadingOut(Out):
    device_id: str
    kind: str
    seq: int
    t: datetime
    value: float
    unit: str
    raw_value: float
    raw_unit: str
    flags: list[str]
    source: str
    received_at: datetime


class IngestReportOut(Out):
    accepted: int
    duplicates: int = Field(description="identical re-sends: already stored, not stored again")
    rejected: int
    rejected_by_reason: dict[str, int]
    rejects: list[RejectOut]


class RejectedPayloadOut(Out):
    id: int
    received_at: datetime
    source: str
    reason: str
    detail: str
    device_id: str | None
    seq: int | None
    payload: str
    payload_encoding: str
    truncated: bool


class ReadingStatsOut(Out):
    readings: int
    rejected: int
    rejected_by_reason: dict[str, int]
