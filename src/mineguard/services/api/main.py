"""The FastAPI application: ``create_app(settings)``; ``mineguard serve`` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from mineguard import __version__
from mineguard.risk import load_risk_model
from mineguard.services.alerts.book import AlertChange
from mineguard.services.alerts.delivery import load_dispatcher
from mineguard.services.alerts.evidence import IncidentEvidence
from mineguard.services.alerts.health_job import check_ingest_health, check_sensor_health
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.api.context import ServiceContext
from mineguard.services.api.errors import BodySizeLimit, install_error_handlers
from mineguard.services.api.refusals import RefusalLog
from mineguard.services.api.responses import declare_error_responses
from mineguard.services.api.routes import (
    alerts,
    assets,
    audit,
    auth,
    devices,
    events,
    faces,
    gateways,
    health,
    help,
    readings,
    sensitivity,
    stream,
    tags,
    users,
    zones,
)
from mineguard.services.api.routes.alerts import alert_event
from mineguard.services.bootstrap import bootstrap
from mineguard.services.events import EventHub
from mineguard.services.ingest.broker_check import StartupCheck
from mineguard.services.ingest.transport import make_transport, mqtt_address
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.settings import Settings
from mineguard.services.storage.types import utc_now
from mineguard.services.ticker import Ticker

ROUTERS = (
    alerts,
    auth,
    users,
    zones,
    assets,
    devices,
    gateways,
    readings,
    events,
    faces,
    tags,
    sensitivity,
    help,
    audit,
    stream,
)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the app; the database is migrated and the site loaded before it returns."""
    settings = settings or Settings()
    risk_model = load_risk_model(settings.risk_model)  # an unknown name or a bad file fails here, before anything runs
    evidence = load_incident_evidence(settings)  # likewise a bad incident-index folder
    booted = bootstrap(settings, engine)
    ctx = ServiceContext(settings, booted.engine, booted.sessions, EventHub(), booted.graph, booted.site_id)
    refusals = RefusalLog(ctx.sessions)  # oversized ingest bodies, kept as rejects

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ctx.broker_check = broker_startup_check(settings)
        if ctx.broker_check is not None:
            ctx.broker_check.start()  # strict: raises here, before anything else has started
        dispatcher = load_dispatcher(settings.notifiers_file, ctx.sessions) if settings.notifiers_file else None

        def on_change(change: AlertChange) -> None:
            if evidence is not None:
                evidence.attach(ctx.sessions, change)  # a new alert: its similar past incidents (never raises)
            ctx.hub.publish(alert_event(change))
            if dispatcher is not None:
                dispatcher.submit_change(change, utc_now())  # returns at once; delivery is in the background

        pipeline = AlertPipeline.for_site(ctx.sessions, on_change=on_change)
        ctx.pipeline = pipeline
        ctx.bus = make_transport(settings.mqtt_url, client_id=settings.mqtt_client_id)
        source = "mqtt" if settings.mqtt_url else "bus"
        ctx.ingest = IngestWorker(
            ctx.bus,
            ctx.sessions,
            site_id=ctx.site_id,
            source=source,
            max_skew_s=settings.max_skew_s,
            on_report=lambda report: pipeline.observe_readings(report.accepted),
        )
        ticker = Ticker(lambda: pipeline.tick(utc_now()), settings.tick_s)

        def health_round() -> None:
            for change in check_sensor_health(ctx.sessions, utc_now()):
                on_change(change)

        sensor_health = Ticker(health_round, settings.health_check_s, name="mineguard-sensor-health")

        def ingest_round() -> None:
            status = ctx.ingest.status()
            changes = check_ingest_health(
                ctx.sessions, status, utc_now(), stuck_s=settings.ingest_stuck_s, site_id=ctx.site_id
            )
            for change in changes:
                on_change(change)

        ingest_period_s = min(settings.health_check_s, settings.ingest_stuck_s / 2)
        ingest_health = Ticker(ingest_round, ingest_period_s, name="mineguard-ingest-health")

        def risk_round() -> None:
            for change in check_risk(ctx.sessions, utc_now(), model=risk_model):
                on_change(change)

        risk = Ticker(risk_round, settings.risk_check_s, name="mineguard-risk")
        anchor = Ticker(lambda: booted.seal.checkpoint(ctx.engine), settings.audit_anchor_s, name="mineguard-audit")
        refusals.start()
        ctx.ingest.start()
        ctx.bus.start()
        ticker.start()
        sensor_health.start()
        ingest_health.start()
        risk.start()
        anchor.start()
        try:
            yield
        finally:
            ticker.stop()
            sensor_health.stop()
            ingest_health.stop()
            risk.stop()
            anchor.stop()
            ctx.bus.stop()  # stop taking messages, then store what is buffered
            ctx.ingest.stop()
            refusals.stop()
            if dispatcher is not None:
                dispatcher.stop()

    app = FastAPI(
        title="MineGuard API",
        version=__version__,
        lifespan=lifespan,
        description="Digital twin of the mine: zones, people, devices, roles and the audit log.",
    )
    app.state.ctx = ctx
    app.state.admin_password = booted.admin_password
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, on_refused=refusals)
    for module in (health, *ROUTERS):
        declare_error_responses(module.router)
        app.include_router(module.router)
    return app


def broker_startup_check(settings: Settings) -> StartupCheck | None:
    """The start-up check that the MQTT broker keeps our queue (``MINEGUARD_MQTT_CHECK``); None on the bus."""
    if not settings.mqtt_url:
        return None
    return StartupCheck(
        settings.mqtt_check,
        **mqtt_address(settings.mqtt_url),
        messages=settings.mqtt_check_messages,
        timeout_s=settings.mqtt_check_timeout_s,
    )


def load_incident_evidence(settings: Settings) -> IncidentEvidence | None:
    """The similar-incident index of ``settings.incident_index``; None when it is not set."""
    if settings.incident_index is None:
        return None
    try:
        return IncidentEvidence.load(settings.incident_index)
    except ValueError as e:
        raise ValueError(
            f"incident_index (MINEGUARD_INCIDENT_INDEX={settings.incident_index}): {e} — build one "
            "with `mineguard warn index --out DIR`"
        ) from None
