"""Service settings from the environment (``MINEGUARD_*``), with embedded defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """``MINEGUARD_DATABASE_URL`` selects PostgreSQL (``postgresql+psycopg://...``); default SQLite."""

    model_config = SettingsConfigDict(env_prefix="MINEGUARD_", extra="ignore")

    database_url: str = "sqlite:///var/mineguard.db"
    site_file: Path | None = None  # None: the bundled sample coal mine
    admin_username: str = "admin"
    admin_password: str | None = Field(default=None, repr=False)  # None: generated and logged once
    token_ttl_s: int = Field(default=12 * 3600, gt=0)
    stream_recheck_s: float = Field(default=5.0, gt=0, le=300)  # live streams: revocations made elsewhere close them
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    command_timeout_s: float = Field(default=60.0, gt=0)
    mqtt_url: str | None = None  # mqtt://host:port — None: the in-process bus (embedded default)
    mqtt_client_id: str = "mineguard-ingest"  # fixed id = persistent session: the broker keeps what we missed
    face_images_dir: Path | None = None  # enrolment images in <dir>/<person_id>/; face erasure deletes them
    notifiers_file: Path | None = None  # YAML list of notifier channels (webhook, email, sms, voice)
    tick_s: float = Field(default=1.0, gt=0, le=60)  # escalation and stale-signal checks
    health_check_s: float = Field(default=60.0, gt=0, le=3600)  # sensor health (stale, stuck, drifting, dead)
    risk_check_s: float = Field(default=10.0, gt=0, le=3600)  # early warning: forecast each sensor to its limit
    risk_model: str = "trend"  # a registered name ("trend") or a saved model file, e.g. runs/warn/risk.pt
    # a folder written by `mineguard warn index` (e.g. runs/warn/incidents): each new alert carries its most
    # similar past MSHA incidents as evidence["similar_incidents"]; None: alerts carry no similar past incidents
    incident_index: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
