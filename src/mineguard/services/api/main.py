"""The FastAPI application: ``create_app(settings)``; ``mineguard serve`` runs it with uvicorn."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine

from mineguard import __version__
from mineguard.services.api.auth_schemes import declare_security
from mineguard.services.api.context import ServiceContext
from mineguard.services.api.errors import BodySizeLimit, RouteLimit, install_error_handlers
from mineguard.services.api.refusals import RefusalLog
from mineguard.services.api.responses import declare_error_responses
from mineguard.services.api.routes import (
    alerts,
    assets,
    audit,
    auth,
    devices,
    events,
    evidence,
    faces,
    forecasts,
    gateways,
    health,
    help,
    models,
    probes,
    readings,
    rescue,
    rules,
    sensitivity,
    sensors,
    stream,
    tags,
    users,
    zones,
)
from mineguard.services.api.routes.alerts import alert_event
from mineguard.services.bootstrap import bootstrap
from mineguard.services.events import EventHub, publish_readings
from mineguard.services.lifecycle import Models, ServiceRuntime
from mineguard.services.observability import HttpMetrics, SecurityHeaders
from mineguard.services.settings import Settings
from mineguard.services.twin.proximity import ApproachTracker
from mineguard.services.web.dashboard import mount_dashboard

ROUTERS = (
    alerts,
    rescue,
    evidence,
    auth,
    users,
    zones,
    assets,
    devices,
    gateways,
    readings,
    sensors,
    forecasts,
    events,
    faces,
    tags,
    sensitivity,
    rules,
    models,
    help,
    audit,
    stream,
)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the app; the database is migrated and the site loaded before it returns.

    The background services (alert pipeline, ingest, tickers, notifiers) are built, started and
    stopped by :class:`~mineguard.services.lifecycle.ServiceRuntime` in the app's lifespan.
    """
    settings = settings or Settings()
    models = Models.load(settings)  # a bad risk model or incident index fails here, before anything runs
    booted = bootstrap(settings, engine)
    ctx = ServiceContext(
        settings,
        booted.engine,
        booted.sessions,
        EventHub(),
        booted.graph,
        booted.site_id,
        approach=ApproachTracker(booted.proximity),
        risk_model=models.risk,
    )
    refusals = RefusalLog(ctx.sessions)  # oversized ingest bodies, kept as rejects
    ctx.metrics.count_ingest("http", ctx.http_totals)
    ctx.metrics.gauge(
        "mineguard_stream_subscribers", "Open live streams (dashboards)", lambda: ctx.hub.subscriber_count
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime = ServiceRuntime(
            settings,
            booted,
            models,
            on_alert=lambda change: ctx.hub.publish(alert_event(change)),
            on_live=lambda live: publish_readings(ctx.hub, live),
            refusals=refusals,
            metrics=ctx.metrics,
        )
        ctx.broker_check, ctx.pipeline = runtime.broker_check, runtime.pipeline  # what the routes read
        ctx.cleanser = runtime.cleanser
        ctx.served = runtime.served
        ctx.bus, ctx.ingest = runtime.bus, runtime.ingest
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="MineGuard API",
        version=__version__,
        lifespan=lifespan,
        description="Digital twin of the mine: zones, people, devices, roles and the audit log.",
    )
    app.state.ctx = ctx
    app.state.admin_password = booted.admin_password
    install_error_handlers(app)
    model_files = RouteLimit(
        "POST",
        re.compile(r"/api/v1/models/[^/]+/versions"),
        settings.max_model_bytes,
        "raise MINEGUARD_MAX_MODEL_BYTES, or add the file with `mineguard models add`",
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, on_refused=refusals, routes=[model_files])
    app.add_middleware(HttpMetrics, metrics=ctx.metrics)
    if settings.cors_origins:  # closed by default: no other origin's page may call the API from a browser
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(SecurityHeaders)  # outermost: refusals by the other middleware carry the headers too
    for module in (health, probes, *ROUTERS):
        declare_error_responses(module.router)
        app.include_router(module.router)
        refusals.watch(module.router.routes)
    declare_security(app)
    mount_dashboard(app)
    return app
