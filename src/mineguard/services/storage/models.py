"""ORM models of the digital twin, IoT services, users, the audit log and sensor readings (seed 004 §3.1).

Every asset and device row holds its live state and position; every change is also appended
to ``position_history`` / ``state_history`` so the twin can answer "where was X at time t"
and "who was in zone Z between t1 and t2". Coordinates are metres in the mine grid. Sensor
readings go to ``sensor_readings`` (canonical units, one row per device and seq) and whatever
ingestion refuses to ``rejected_payloads``, so nothing that arrives is lost. Enrolled miners' face
embeddings go to ``face_embeddings`` (``mineguard.services.identity``). Each version of a site's
rule set goes to ``rule_versions`` (``mineguard.services.rules.store``). Served models' artefacts go to
``model_artifacts`` (by content hash), their versions to ``model_versions`` and which version serves each
model kind at a site to ``active_models`` (``mineguard.services.model_store``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mineguard.services.storage.types import UTCDateTime, utc_now

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
HistoryId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012 - SQLAlchemy API


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sensitivity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    loaded_at: Mapped[datetime] = mapped_column(default=utc_now)


class Zone(Base):
    __tablename__ = "zones"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[dict[str, Any]] = mapped_column()  # {"points": [[x, y, z], ...]}
    cross_section_m2: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    danger: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_limit: Mapped[int | None] = mapped_column(Integer)
    location_name: Mapped[str | None] = mapped_column(String(200))
    operating_procedure_id: Mapped[str | None] = mapped_column(String(64))


class ZoneLink(Base):
    __tablename__ = "zone_links"
    zone_a: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    zone_b: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)


class _Tracked:
    """Live position and state shared by assets and devices."""

    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    z: Mapped[float | None] = mapped_column(Float)
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column()


class Asset(_Tracked, Base):
    __tablename__ = "assets"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    crew: Mapped[str | None] = mapped_column(String(64), index=True)


class Device(_Tracked, Base):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sensor_kind: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(16))
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    paired_asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    paired_at: Mapped[datetime | None] = mapped_column()
    # the asset a sensor is mounted on: its readings are that machine's state (``twin.asset_state``)
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)


class PositionRecord(Base):
    __tablename__ = "position_history"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    entity_kind: Mapped[str] = mapped_column(String(8))  # "asset" | "device"
    entity_id: Mapped[str] = mapped_column(String(64))
    t: Mapped[datetime] = mapped_column()
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    zone_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64), default="api")
    __table_args__ = (
        Index("ix_position_entity_t", "entity_kind", "entity_id", "t"),
        Index("ix_position_zone_t", "zone_id", "t"),
    )


class StateRecord(Base):
    __tablename__ = "state_history"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    entity_kind: Mapped[str] = mapped_column(String(8))
    entity_id: Mapped[str] = mapped_column(String(64))
    t: Mapped[datetime] = mapped_column()
    state: Mapped[dict[str, Any]] = mapped_column()
    __table_args__ = (Index("ix_state_entity_t", "entity_kind", "entity_id", "t"),)


class Gateway(Base):
    """Registration and configuration of an edge gateway (seed 004 §3.1.2)."""

    __tablename__ = "gateways"
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(default=utc_now)
    registered_by: Mapped[str] = mapped_column(String(64))
    scan_window_s: Mapped[float] = mapped_column(Float, default=5.0)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    data_destination: Mapped[str] = mapped_column(String(300), default="mineguard://local")
    config_version: Mapped[int] = mapped_column(Integer, default=1)
    last_seen_at: Mapped[datetime | None] = mapped_column()


class GatewayCommand(Base):
    """A command queued to a gateway: queued -> delivered -> acknowledged | failed | timed_out."""

    __tablename__ = "gateway_commands"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.device_id", ondelete="CASCADE"), index=True)
    command: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    timeout_s: Mapped[float] = mapped_column(Float, default=60.0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    delivered_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    crew: Mapped[str | None] = mapped_column(String(64))
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime] = mapped_column()


class HelpCall(Base):
    """A supervisor's call for outside help (seed 004 §3.1.4)."""

    __tablename__ = "help_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    t: Mapped[datetime] = mapped_column(default=utc_now)
    called_by: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    asset_id: Mapped[str | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """One row of the hash-chained event log; ``hash = HMAC(key, prev_hash + canonical row)`` (``audit.log``)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    t: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16), default=None)  # None: legacy unkeyed sha256


class AuditHead(Base):
    """The chain's head (last seq and hash); it also reveals rows deleted from the end."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class SensorReading(Base):
    """One stored sensor reading; ``value``/``unit`` are canonical (``mine.units``), ``raw_*`` as sent.

    ``(device_id, seq)`` is unique: it is the idempotency key that makes re-sent readings a
    no-op. ``flags`` is the cleansing verdict given at ingest, a small-int bitmask (0 = clean) of
    ``warning.sensing.checks.Flag``: 1 out_of_range, 2 spike, 4 stuck, 8 after_gap, 16 not_finite —
    queryable as ``flags & 2 != 0`` on both databases; the API shows it as a list of names.
    """

    __tablename__ = "sensor_readings"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger)
    t: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    raw_value: Mapped[float] = mapped_column(Float)
    raw_unit: Mapped[str] = mapped_column(String(16))
    flags: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    source: Mapped[str] = mapped_column(String(100))  # "http:gw-roadways", "http:user:mgr", "bus", "mqtt"
    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_sensor_readings_device_seq"),
        Index("ix_sensor_readings_device_t", "device_id", "t"),
    )


class RejectedPayload(Base):
    """A payload ingestion refused, kept as received (at most 64 KiB, then ``truncated``).

    ``payload_encoding`` is "utf-8" for text, or "base64" for bytes that are not UTF-8 text
    (or contain NUL, which PostgreSQL text cannot hold).
    """

    __tablename__ = "rejected_payloads"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    payload_encoding: Mapped[str] = mapped_column(String(8), default="utf-8")
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)


class SourceEvent(Base):
    """An event from a source other than a sensor (camera detector, face recognition, tag, person),
    in one schema whatever produced it (``mineguard.services.ingest.events``).

    ``value`` is 1.0 for a plain "seen" event; ``dedupe_key`` (``<device or source>:<event_id>``)
    makes a re-sent event land once.
    """

    __tablename__ = "source_events"
    __table_args__ = (Index("ix_source_events_zone_t", "zone_id", "t"),)
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(48))
    t: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column()
    device_id: Mapped[str | None] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(String(64))
    asset_id: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float, default=1.0)
    bbox: Mapped[list[float] | None] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(170), unique=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sender: Mapped[str] = mapped_column(String(100))


class Alert(Base):
    """One ongoing hazard condition: raised once, then updated, escalated, acknowledged, resolved.

    ``key`` identifies the condition (rule + place); while an alert with that key is open or
    acknowledged, the same condition updates it instead of raising a new one.
    """

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | acknowledged | resolved
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)  # the evidence and the action, for a person
    zone_id: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))  # device or asset the alert is about
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    condition_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updates: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 0 operator, 1 supervisor, 2 manager
    next_escalation_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution: Mapped[str | None] = mapped_column(String(300))


class AlertEvent(Base):
    """The history of an alert: raised, updated, escalated, acknowledged, resolved, notified."""

    __tablename__ = "alert_events"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    t: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FaceEmbedding(Base):
    """One enrolment embedding of a miner's face, for identification at the gates (issue #5).

    ``vector`` is ``dim`` little-endian float32 values, L2-normalised on the way in
    (``mineguard.faces.gallery.prepare_embeddings``); ``image_ref`` names the enrolment image it
    came from. ``person_id`` is deliberately not a foreign key: erasure must find the rows even
    after the person's asset is gone.
    """

    __tablename__ = "face_embeddings"
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    image_ref: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    source: Mapped[str] = mapped_column(String(100))  # "http:user:mgr", "python:system"


class RuleVersion(Base):
    """One version of a site's rule set (``services/rules/store.py``): from the site file or an API edit.

    ``rules`` is the whole ``rules:`` section as JSON; ``file_sha256`` (file versions) is the hash
    of its canonical JSON, so a start-up can tell whether the file's rules changed since.
    """

    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("site_id", "version", name="uq_rule_versions_site_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict[str, Any]] = mapped_column()
    origin: Mapped[str] = mapped_column(String(8))  # "file" | "api"
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    reason: Mapped[str | None] = mapped_column(Text)


class EvidenceFile(Base):
    """A snapshot or clip a camera sent as evidence, stored once by the SHA-256 of its bytes
    (``services/evidence/store.py``); events point at it from ``attributes.evidence``."""

    __tablename__ = "evidence_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sender: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class ModelArtifact(Base):
    """The bytes of a served model's file, stored once by their SHA-256 (``services/model_store``)."""

    __tablename__ = "model_artifacts"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ModelVersion(Base):
    """One version of a served model of a ``kind`` (``risk``, ...) at a site, with what it was made from.

    ``version`` counts 1, 2, ... per (kind, site); the same artefact is added once per (kind, site).
    ``previous_id`` is the version that was active when this one was last promoted (where a rollback
    goes back to).
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("kind", "site_id", "version", name="uq_model_versions_kind_site_version"),
        UniqueConstraint("kind", "site_id", "sha256", name="uq_model_versions_kind_site_sha256"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("model_artifacts.sha256"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    training_data: Mapped[str] = mapped_column(Text)
    training_data_sha256: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(100))
    metrics: Mapped[dict[str, Any]] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))


class ActiveModel(Base):
    """The version that serves ``kind`` at ``site_id``: one row per (kind, site), so one active version."""

    __tablename__ = "active_models"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    activated_by: Mapped[str] = mapped_column(String(64))
    activated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Forecast(Base):
    """One sensor's forecast from a risk round (``services/alerts/forecasts.py``): where the served model
    expects the sensor ``horizon_s`` after its latest cleansed reading, with 80 % and 95 % prediction
    intervals, and how likely it is past the limit by then. Kept for ``forecast_retention_h`` hours so the
    dashboard can draw what the model said against what happened."""

    __tablename__ = "forecasts"
    __table_args__ = (Index("ix_forecasts_device_issued", "device_id", "issued_at"),)
    id: Mapped[int] = mapped_column(HistoryId, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sensor_kind: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(100))  # the served model's name (and version, when registered)
    issued_at: Mapped[datetime] = mapped_column(index=True)  # the round that made it
    t: Mapped[datetime] = mapped_column()  # the latest cleansed reading it starts from
    value: Mapped[float] = mapped_column(Float)
    horizon_s: Mapped[float] = mapped_column(Float)
    predicted: Mapped[float] = mapped_column(Float)
    lower_80: Mapped[float] = mapped_column(Float)
    upper_80: Mapped[float] = mapped_column(Float)
    lower_95: Mapped[float] = mapped_column(Float)
    upper_95: Mapped[float] = mapped_column(Float)
    limit: Mapped[float] = mapped_column(Float)
    op: Mapped[str] = mapped_column(String(2))
    probability: Mapped[float] = mapped_column(Float)
    minutes_to_limit: Mapped[float | None] = mapped_column(Float)
