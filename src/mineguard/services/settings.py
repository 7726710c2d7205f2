"""Service settings from the environment (``MINEGUARD_*``), with embedded defaults."""

from __future__ import annotations

import os
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
    # login throttling (in-process, per node): past N failures a username or client address waits first_lock_s,
    # doubling per further failure up to max_lock_s — short, so a locked-out operator gets back in within a minute
    login_account_failures: int = Field(default=5, ge=1)  # failed logins per username before it must wait
    login_address_failures: int = Field(default=20, ge=1)  # failed logins per client address before it must wait
    login_lock_s: float = Field(default=5.0, gt=0, le=3600)
    login_max_lock_s: float = Field(default=60.0, gt=0, le=3600)
    login_failure_window_s: float = Field(default=900.0, gt=0)  # failures older than this are forgotten
    login_tracked_keys: int = Field(default=10_000, ge=10)  # usernames (and addresses) remembered, at most
    # password hashes at once (default: half the CPU cores); a login beyond them gets 429 at once, not a queue
    login_concurrent_checks: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2), ge=1)
    login_refusal_delay_s: float = Field(default=1.0, ge=0, le=10)  # a refused login is answered this much later
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
