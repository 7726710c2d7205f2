"""Request and response bodies. Requests forbid unknown fields; units are in the field names
(``_m``, ``_s``, ``_g``) or carried explicitly (:class:`QuantityIn`).

Numbers and booleans in requests are strict, the one way: a number field takes a JSON number
(:data:`Number`, :class:`~pydantic.StrictInt`), a boolean field ``true``/``false``
(:class:`~pydantic.StrictBool`). ``false`` is not 0, ``"3"`` is not 3, ``1`` is not ``true``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from mineguard.services.auth.roles import Role
from mineguard.services.timestamps import IsoTime


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[float, Field(strict=True), AfterValidator(_finite)]  # a finite JSON number (an int is fine)
Metres = Annotated[Number, Field(ge=-5000, le=5000)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth and users
class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: Role


class UserIn(In):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    crew: str | None = Field(default=None, max_length=64)
    asset_id: str | None = Field(default=None, max_length=64)


class RoleIn(In):
    role: Role


class UserOut(Out):
    id: int
    username: str
    role: Role
    crew: str | None
    asset_id: str | None
    active: bool


# --- twin
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


class TrackedOut(Out):
    id: str
    kind: str
    x: float | None
    y: float | None
    z: float | None
    zone_id: str | None
    state: dict[str, Any]
    updated_at: datetime | None


class AssetOut(TrackedOut):
    name: str
    crew: str | None


class DeviceOut(TrackedOut):
    sensor_kind: str | None
    unit: str | None
    barcode: str | None
    paired_asset_id: str | None


class PositionIn(In):
    t: IsoTime
    x_m: Metres
    y_m: Metres
    z_m: Metres


class PositionOut(Out):
    t: datetime
    x: float
    y: float
    z: float
    zone_id: str | None
    source: str


class PresenceOut(Out):
    entity_id: str
    start: datetime
    end: datetime


# --- thresholds
class QuantityIn(In):
    key: Literal["noise_g", "freefall_g", "fall_impact_g", "fall_still_s", "faint_still_s"]
    value: Number
    unit: str = Field(max_length=16)


class SensitivityIn(In):
    changes: list[QuantityIn] = Field(min_length=1, max_length=20)


# --- IoT
class GatewayRegistrationOut(Out):
    gateway_id: str
    secret: str
    note: str = "store this secret on the gateway; it is not shown again"


class GatewayConfigIn(In):
    scan_window_s: Number | None = Field(default=None, gt=0, le=3600)
    latitude: Number | None = Field(default=None, ge=-90, le=90)
    longitude: Number | None = Field(default=None, ge=-180, le=180)
    altitude_m: Number | None = Field(default=None, ge=-5000, le=9000)
    data_destination: str | None = Field(default=None, pattern=r"^(mineguard|mqtt|mqtts|http|https)://\S{1,250}$")


class GatewayOut(Out):
    device_id: str
    registered_at: datetime
    registered_by: str
    scan_window_s: float
    latitude: float | None
    longitude: float | None
    altitude_m: float | None
    data_destination: str
    config_version: int
    last_seen_at: datetime | None


class CommandIn(In):
    command: str = Field(max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: Number = Field(default=60.0, gt=0, le=86_400)


class CommandOut(Out):
    id: int
    gateway_id: str
    command: str
    args: dict[str, Any]
    status: str
    timeout_s: float
    created_by: str
    created_at: datetime
    delivered_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None


class AckIn(In):
    ok: StrictBool
    result: dict[str, Any] = Field(default_factory=dict)


class PairIn(In):
    barcode: str = Field(pattern=r"^[0-9A-Za-z-]{4,64}$")
    asset_id: str = Field(max_length=64)
    force: StrictBool = False


class TagReadingIn(In):
    barcode: str = Field(max_length=64)
    t: IsoTime
    x_m: Metres
    y_m: Metres
    z_m: Metres
    accel_g: (
        list[Annotated[list[Annotated[Number, Field(ge=-64, le=64)]], Field(min_length=3, max_length=3)]] | None
    ) = Field(default=None, max_length=6000)
    rate_hz: Number | None = Field(default=None, gt=0, le=1000)


class TagReadingsIn(In):
    readings: list[TagReadingIn] = Field(min_length=1, max_length=500)


class TagOutcomeOut(Out):
    barcode: str
    asset_id: str | None
    zone_id: str | None
    motion: str | None
    refused: str | None = Field(default=None, description="why this fix was refused (nothing of it applied)")


# --- help and audit
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


class AuditEntryOut(Out):
    seq: int
    t: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    hash: str


class AuditVerifyOut(Out):
    ok: bool
    entries: int
    first_bad_seq: int | None
    problem: str | None
    cause: str | None = None  # tampered | wrong_key | no_key
    key_id: str | None = None  # the key the chain was checked with
    legacy_entries: int = 0  # unkeyed entries written before the key (a prefix of the chain)
    anchors_checked: int = 0  # checkpoints outside the database the log was compared with
    warnings: list[str] = []


# --- health
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


# --- sensor readings
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


class RejectOut(Out):
    index: int | None = Field(description="position in the batch; null for the whole body")
    reason: str
    detail: str
    device_id: str | None
    seq: int | None


class IngestReportOut(Out):
    accepted: int
    duplicates: int = Field(description="identical re-sends: already stored, not stored again")
    rejected: int
    rejected_by_reason: dict[str, int]
    rejects: list[RejectOut]


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


# --- alerts
class AlertOut(Out):
    id: int
    key: str
    rule_id: str
    severity: str
    state: str
    title: str
    message: str
    zone_id: str | None
    subject_id: str | None
    evidence: dict[str, Any]
    condition_active: bool
    updates: int
    escalation_level: int
    next_escalation_at: datetime | None
    opened_at: datetime
    updated_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution: str | None


class AlertEventOut(Out):
    t: datetime
    kind: str
    actor: str
    detail: dict[str, Any]


class AckAlertIn(In):
    note: str | None = Field(default=None, max_length=1000)


class ResolveAlertIn(In):
    resolution: str = Field(min_length=3, max_length=300)


# --- face gallery (issue #5)
MAX_FACE_EMBEDDINGS = 50  # per request
FaceVector = Annotated[list[StrictFloat], Field(min_length=1, max_length=4096)]  # NaN/inf: prepare_embeddings says
FaceImageRef = Annotated[str, Field(min_length=1, max_length=300)]


class FaceEmbeddingsIn(In):
    embeddings: list[FaceVector] = Field(
        min_length=1, max_length=MAX_FACE_EMBEDDINGS, description="(k, D) embeddings; L2-normalised on arrival"
    )
    image_refs: list[FaceImageRef] | None = Field(
        default=None, max_length=MAX_FACE_EMBEDDINGS, description="one per embedding: the image it came from"
    )


class FaceEnrolmentOut(Out):
    person_id: str
    added: int
    embeddings: int = Field(description="the person's embeddings after this enrolment")
    dim: int


class FacePersonOut(Out):
    person_id: str
    embeddings: int
    image_refs: list[str]
    first_enrolled_at: datetime
    last_enrolled_at: datetime


class FacePeopleOut(Out):
    dim: int | None = Field(description="embedding dimension D; null while nobody is enrolled")
    people: list[FacePersonOut]


class FaceGalleryOut(Out):
    dim: int | None = Field(description="embedding dimension D; null while nobody is enrolled")
    people: list[str] = Field(description="person id of each row of embeddings")
    embeddings: list[list[float]] = Field(description="(N, D) unit vectors (float32 values); cosine = dot product")


class FaceErasureOut(Out):
    erased: int = Field(description="embeddings removed")
    image_files: int = Field(description="stored enrolment images deleted")


def batch_request_body(key: str, item: dict[str, Any], max_items: int) -> dict[str, Any]:
    """OpenAPI request body of a raw-read batch route: ``{key: [item, ...]}`` or a bare array of items."""
    array = {"type": "array", "items": item, "maxItems": max_items}
    wrapped = {"type": "object", "properties": {key: array}, "required": [key], "additionalProperties": False}
    return {"required": True, "content": {"application/json": {"schema": {"oneOf": [wrapped, array]}}}}
