"""Sensor readings: a stored reading, the ingest report, refused payloads and the counts.

What a stored reading holds has one home, the row :class:`~mineguard.services.storage.models.SensorReading`;
:class:`ReadingOut` is its view on the wire (read from the row with ``from_attributes``) and
:class:`~mineguard.services.ingest.store.AcceptedReading` its view in memory. They are two views on
purpose, not two definitions: ``AcceptedReading`` is what one ingest call hands the alert pipeline
for the rows it has just written (the row id and values, without reading the rows back), while
``ReadingOut`` answers ``GET /api/v1/readings`` from the database, with what the pipeline never needs
(``flags``, ``source``, ``received_at``) and without the internal row id. Each names only columns of
the row (tests/services/api/test_readings.py checks it).

``flags`` is stored as a bitmask (``warning.sensing.checks.Flag``) and shown as the list of its flag
names (``[]`` when clean; e.g. ``["spike"]``) beside the canonical ``value``/``unit`` and the
``raw_value``/``raw_unit`` as sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field

from mineguard.services.api.schemas.common import Out, RejectOut
from mineguard.warning.sensing.checks import FLAG_NAMES, flag_names


def _names(flags: object) -> object:
    return flag_names(flags) if isinstance(flags, int) else flags


FlagNames = Annotated[
    list[str],
    BeforeValidator(_names),
    Field(description=f"cleansing flags given at ingest, empty when clean; any of: {', '.join(FLAG_NAMES)}"),
]


class ReadingOut(Out):  # no docstring: it would become the OpenAPI description
    device_id: str
    kind: str
    seq: int
    t: datetime
    value: float
    unit: str
    raw_value: float = Field(description="the value as sent, in raw_unit")
    raw_unit: str
    flags: FlagNames
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
    flagged: int = Field(description="stored readings carrying at least one cleansing flag")
    flagged_by_flag: dict[str, int] = Field(description="stored readings carrying each flag (one may carry several)")
    rejected: int
    rejected_by_reason: dict[str, int]
