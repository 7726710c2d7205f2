"""Service settings from the environment (``MINEGUARD_*``), with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from mineguard.services.timestamps import MAX_SKEW_S


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
    # a model file added over the API (base64 in JSON: about 4/3 of the file's size), super-manager only
    max_model_bytes: int = Field(default=64_000_000, gt=0)
    # browser pages on these origins may call the API (CORS); empty: none but the service's own dashboard.
    # JSON in the environment: MINEGUARD_CORS_ORIGINS='["https://control.example-mine.org"]'
    cors_origins: list[str] = Field(default_factory=list)
    # camera evidence (snapshots, clips): kept this many days and within this many MB, checked every evidence_prune_s
    evidence_days: float = Field(default=30.0, gt=0, le=3650)
    evidence_max_mb: float = Field(default=2000.0, gt=0)
    evidence_prune_s: float = Field(default=3600.0, gt=0, le=86_400)
    command_timeout_s: float = Field(default=60.0, gt=0)
    mqtt_url: str | None = None  # mqtt://host:port — None: the in-process bus (embedded default)
    mqtt_client_id: str = "mineguard-ingest"  # fixed id = persistent session: the broker keeps what we missed
    # at start, check that the broker keeps what it queues for us while we are down (ingest/broker_check.py):
    # warn (log a WARNING, in the background), strict (refuse to start unless shown fine), off
    mqtt_check: Literal["warn", "strict", "off"] = "warn"
    mqtt_check_messages: int = Field(default=1000, ge=1, le=1_000_000)  # the probe sends one more than this
    mqtt_check_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # ingest worker processes (services/ingest/pool.py); 0: one worker thread in the service process (the
    # in-process bus has only that). Needs MINEGUARD_MQTT_URL when above 0.
    ingest_workers: int = Field(default=0, ge=0, le=64)
    # how the processes split the stream: "device", each owns a fixed set of the site's sensors (plain persistent
    # subscriptions: one cleanser per sensor, readings in order, nothing lost when the broker restarts); "share",
    # any process takes any reading (an MQTT $share group: no per-sensor order; Mosquitto forgets $share
    # subscriptions over a restart)
    ingest_partition: Literal["device", "share"] = "device"
    ingest_share_group: str = Field(default="mineguard-ingest", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    # the worker processes' MQTT version: False, $share on MQTT 3.1.1 (Mosquitto takes it; ~160 µs less CPU a
    # reading in paho, docs/results/platform.md); True, MQTT 5 (brokers that take $share only on 5)
    ingest_mqtt5: bool = False
    face_images_dir: Path | None = None  # enrolment images in <dir>/<person_id>/; face erasure deletes them
    # the gates' open-set accept threshold (cosine, `mineguard face eval` chooses it): enrolment refuses a face
    # scoring at least this against another person (409). None: only the same photo under another id is refused
    face_accept_threshold: float | None = Field(default=None, gt=0, le=1)
    notifiers_file: Path | None = None  # YAML list of notifier channels (webhook, email, sms, voice)
    tick_s: float = Field(default=1.0, gt=0, le=60)  # escalation and stale-signal checks
    health_check_s: float = Field(default=60.0, gt=0, le=3600)  # sensor health (stale, stuck, drifting, dead)
    # ingest is stuck when a received reading has waited this long unstored (or the worker died): /health answers
    # 503 and the ingest-health alert is raised
    ingest_stuck_s: float = Field(default=60.0, gt=0, le=86_400)
    max_skew_s: float = Field(
        default=MAX_SKEW_S, gt=0, le=86_400
    )  # readings, events, positions this far ahead: refused
    headcount_check_s: float = Field(default=15.0, gt=0, le=3600)  # who is underground: mismatches, shift ends
    risk_check_s: float = Field(default=10.0, gt=0, le=3600)  # early warning: forecast each sensor to its limit
    seismic_check_s: float = Field(default=60.0, gt=0, le=3600)  # seismic hazard: has a shift ended to judge?
    # multimodal early warning (alerts/fusion_job.py): each zone's live window through the active `multimodal`
    # version; with no active version the round does nothing
    fusion_check_s: float = Field(default=30.0, gt=0, le=3600)
    # retrain the risk model on the site's history and verdicts every N hours (`mineguard warn retrain --register`
    # in a child process; the new version serves only once the super-manager promotes it); None: never
    retrain_every_h: float | None = Field(default=None, gt=0, le=24 * 366)
    retrain_options: str = "--train-days 14 --replay-days 3"  # more `mineguard warn retrain` options
    retrain_dir: Path = Path("var/retrain")  # where the retrained model files go
    forecast_retention_h: float = Field(default=24.0, gt=0, le=24 * 366)  # each risk round's forecasts kept this long
    # a registered name ("trend") or a saved model file, e.g. runs/warn/risk.pt; an active `risk` version in the
    # model registry (`mineguard models promote`) serves instead while it is active
    risk_model: str = "trend"
    # a folder written by `mineguard warn index` (e.g. runs/warn/incidents): each new alert carries its most
    # similar past MSHA incidents as evidence["similar_incidents"]; None: alerts carry no similar past incidents
    incident_index: Path | None = None
    # the audit log's HMAC key, outside the database; None: audit.key next to the SQLite database (var/ for a
    # server database), created on first start with mode 600 — keep a copy off the machine
    audit_key_file: Path | None = None
    # signed checkpoints of the audit log's head; None: audit-anchors.jsonl next to the key's default place
    audit_anchor_file: Path | None = None
    audit_anchor_s: float = Field(default=300.0, gt=0, le=86400)  # checkpoint schedule (also after each commit)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
