"""Sensor readings: a stored reading, the ingest report, refused payloads and the counts.

What a stored reading holds has one home, the row :class:`~mineguard.services.storage.models.SensorReading`;
:class:`ReadingOut` is its view on the wire (read from the row with ``from_attributes``) and
:class:`~mineguard.services.ingest.store.AcceptedReading` its view in memory. They are two views on
purpose, not two definitions: ``AcceptedReading`` is what one ingest call hands the alert pipeline
for the rows it has just written (the row id and values, without reading the rows back), while
``ReadingOut`` answers ``GET /api/v1/readings`` from the database, with what the pipeline never needs
(``flags``, ``source``, ``received_at``) and without the internal row id. Each names only columns of
the row (tests/services/api/test_readings.py checks it).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mineguard.services.api.schemas.common import Out, RejectOut


class ReadingOut(Out):  # no docstring: it would become the OpenAPI description
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
