"""``run_demo``: the simulated mine driving the real service, start to summary.

The app is built with :func:`~mineguard.services.api.main.create_app` and its lifespan runs as
in production (in-process bus, ingest worker, alert pipeline, 1 s ticker, sensor-health job):
headless through ``TestClient(app)``, or with uvicorn in a thread when ``port`` is given so the
API, docs and live stream are reachable while the demo runs. Each simulated second:

1. the scenario script sets the machines (fan, shearer, belt) and emits camera events;
2. every sensor reading, the machines' sensors (run state, bearing temperature, shearer
   vibration) included, is published on ``ctx.bus`` (topic ``mineguard/<site>/<device>/<kind>``)
   stamped with the wall clock, so the ingest clock-skew check passes;
3. camera events (``vision.no_helmet``) are stored and fed to the rules exactly as
   ``POST /api/v1/events`` does;
4. the miners' tags move (``apply_tag_reading`` in one transaction), and the twin derives the
   approach signals from the committed fixes as the gateway readings route does.

``speed`` compresses the timeline: one simulated second every ``1 / speed`` wall seconds, while
readings stay stamped with the wall clock (rates and debounce times in the rules are wall time).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import func, select

from mineguard.services.alerts.approach import feed_approach
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.events import store_events
from mineguard.services.iot.tags import apply_tag_reading, pair_tag
from mineguard.services.settings import Settings
from mineguard.services.simulator.people import make_walkers
from mineguard.services.simulator.scenarios import SCENARIOS, TIMELINE_S, ScenarioScript, scenario_of
from mineguard.services.simulator.sensors import SensorField
from mineguard.services.storage.models import Alert, AlertEvent, SensorReading, Site
from mineguard.services.storage.types import utc_now
from mineguard.services.twin.proximity import Fix, PersonFix
from mineguard.services.twin.site import load_site

log = logging.getLogger(__name__)
SEVERE = ("critical", "emergency")


@dataclass(frozen=True)
class ScenarioResult:
    id: str
    title: str
    rule_id: str
    triggered_at: datetime | None  # when the hazard became real in the simulation
    alert_at: datetime | None  # opened_at of the first alert of its rule
    severity: str | None = None
    message: str | None = None

    @property
    def detected(self) -> bool:
        return self.alert_at is not None

    @property
    def latency_s(self) -> float | None:
        if self.alert_at is None or self.triggered_at is None:
            return None
        return (self.alert_at - self.triggered_at).total_seconds()


@dataclass(frozen=True)
class DemoSummary:
    wall_s: float
    sim_s: float
    speed: float
    readings_published: int
    readings_dropped: int  # simulated dropouts (never sent)
    readings_stored: int
    duplicates: int
    rejects: dict[str, int]
    tag_fixes: int
    vision_events: int
    alerts_by_rule: dict[str, int]
    alerts_by_scenario: dict[str, int]
    scenarios: list[ScenarioResult]
    escalations: int
    unexpected_critical: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """The whole scenario timeline was simulated."""
        return self.sim_s >= TIMELINE_S

    @property
    def ok(self) -> bool:
        """Every scenario raised its alert and nothing else critical fired."""
        return all(s.detected for s in self.scenarios) and not self.unexpected_critical

    def format(self) -> str:
        lines = [
            f"MineGuard platform demo: {self.sim_s:.0f} simulated s in {self.wall_s:.1f} s (speed {self.speed:g})",
            f"  readings: {self.readings_published} published, {self.readings_stored} stored, "
            f"{self.duplicates} duplicates, {sum(self.rejects.values())} rejected"
            + (f" {dict(self.rejects)}" if self.rejects else "")
            + f", {self.readings_dropped} simulated dropouts",
            f"  tags: {self.tag_fixes} position fixes; camera events: {self.vision_events}",
            "  scenarios:",
        ]
        for s in self.scenarios:
            if s.detected:
                lat = f", {s.latency_s:.1f} s after the hazard" if s.latency_s is not None else ""
                lines.append(f"    [ok]   {s.id:<7} {s.title}: {s.severity} {s.rule_id}{lat}")
                lines.append(f"           {s.message}")
            else:
                why = "timeline not reached" if s.triggered_at is None else "NO ALERT"
                lines.append(f"    [FAIL] {s.id:<7} {s.title}: {why}")
        lines.append("  alerts by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts_by_rule.items())))
        lines.append(
            "  alerts by scenario: " + ", ".join(f"{k} {v}" for k, v in sorted(self.alerts_by_scenario.items()))
        )
        lines.append(f"  escalations: {self.escalations}")
        if self.unexpected_critical:
            lines.append("  UNEXPECTED critical alerts:")
            lines += [f"    {text}" for text in self.unexpected_critical]
        else:
            lines.append("  unexpected critical alerts: none")
        lines.append(f"  result: {'OK' if self.ok else 'FAILED'}")
        return "\n".join(lines)


class _Clock:
    """Paces simulated seconds at ``speed`` per wall second; ``stop`` ends the run early."""

    def __init__(self, speed: float) -> None:
        self.interval = 1.0 / speed
        self.start = time.monotonic()
        self.stopped = threading.Event()

    def wait_step(self, i: int) -> bool:
        delay = self.start + i * self.interval - time.monotonic()
        try:
            if delay > 0:
                return not self.stopped.wait(delay)
        except KeyboardInterrupt:  # Ctrl-C ends the run; the summary still comes
            self.stopped.set()
            return False
        return not self.stopped.is_set()


def _drive(
    app, settings: Settings, duration_s: float | None, speed: float, seed: int, stop: threading.Event | None
) -> DemoSummary:
    ctx = app.state.ctx
    pipeline, bus, sessions, graph = ctx.pipeline, ctx.bus, ctx.sessions, ctx.graph
    site = load_site(settings.site_file)
    started = utc_now()
    sensors = SensorField(site, seed=seed, seq0=int(time.time() * 1000))
    walkers = make_walkers(site, graph, seed=seed)
    with sessions() as session, session.begin():
        for walker in walkers:
            pair_tag(session, walker.barcode, walker.plan.asset_id, actor="simulator", force=True)
    cameras = {
        d.id: (d.zone, np.asarray(d.position, dtype=float)) for d in site.devices if d.kind == "camera" and d.position
    }
    script = ScenarioScript(sensors, graph, {w.plan.asset_id: w for w in walkers}, cameras, seed=seed)
    clock = _Clock(speed)
    if stop is not None:
        clock.stopped = stop
    steps = None if duration_s is None else round(duration_s * speed)
    published = fixes = vision = 0
    trigger_wall: dict[str, datetime] = {}
    i = 0
    while (steps is None or i < steps) and clock.wait_step(i):
        i += 1
        now = utc_now()
        events = script.apply(float(i), now)
        for sid in script.triggered.keys() - trigger_wall.keys():
            trigger_wall[sid] = now
        stamp = now.isoformat()
        for reading in sensors.step(1.0):
            bus.publish(
                topic_for(ctx.site_id, reading.device_id, reading.kind), json.dumps(reading.payload(stamp)).encode()
            )
            published += 1
        if events:  # through the same path as POST /api/v1/events: stored, then to the rules
            with sessions() as session, session.begin():
                report = store_events(session, events, source="simulator:camera", now=now)
            pipeline.observe_events(report.accepted)
            vision += len(report.accepted)
        tag_fixes = [walker.step(1.0) for walker in walkers]
        moved = []
        with sessions() as session, session.begin():
            site_row = session.get(Site, ctx.site_id)
            for fix in tag_fixes:
                outcome = apply_tag_reading(
                    session,
                    graph,
                    site_row,
                    gateway_id=fix.gateway_id,
                    barcode=fix.barcode,
                    t=now,
                    xyz=fix.xyz,
                    accel_g=fix.accel_g,
                    rate_hz=fix.rate_hz,
                )
                fixes += 1
                if outcome.asset_id is not None and outcome.position.live:
                    moved.append(PersonFix(outcome.asset_id, Fix(now, fix.xyz)))
        feed_approach(pipeline, graph, ctx.approach, moved)
    wall_s = time.monotonic() - clock.start
    if hasattr(bus, "drain"):
        bus.drain(10.0)
    ctx.ingest.flush(10.0)
    return _summarise(ctx, started, wall_s, float(i), speed, published, sensors.dropped, fixes, vision, trigger_wall)


def _summarise(
    ctx,
    started: datetime,
    wall_s: float,
    sim_s: float,
    speed: float,
    published: int,
    dropped: int,
    fixes: int,
    vision: int,
    trigger_wall: dict[str, datetime],
) -> DemoSummary:
    with ctx.sessions() as session:
        alerts = list(session.scalars(select(Alert).where(Alert.opened_at >= started).order_by(Alert.id)))
        stored = session.scalar(select(func.count()).select_from(SensorReading).where(SensorReading.t >= started))
        escalations = session.scalar(
            select(func.count()).select_from(AlertEvent).where(AlertEvent.kind == "escalated", AlertEvent.t >= started)
        )
    by_rule = Counter(a.rule_id for a in alerts)
    by_scenario = Counter(scenario_of(a.rule_id, a.zone_id) or "other" for a in alerts)
    results = []
    for spec in SCENARIOS:
        first = next((a for a in alerts if a.rule_id == spec.rule_id), None)
        results.append(
            ScenarioResult(
                spec.id,
                spec.title,
                spec.rule_id,
                trigger_wall.get(spec.id),
                first.opened_at if first else None,
                first.severity if first else None,
                first.message if first else None,
            )
        )
    unexpected = [
        f"{a.severity} {a.rule_id} in {a.zone_id or '-'}: {a.message}"
        for a in alerts
        if a.severity in SEVERE and scenario_of(a.rule_id, a.zone_id) is None
    ]
    totals = ctx.ingest.totals
    return DemoSummary(
        wall_s=wall_s,
        sim_s=sim_s,
        speed=speed,
        readings_published=published,
        readings_dropped=dropped,
        readings_stored=int(stored or 0),
        duplicates=totals.duplicates,
        rejects=dict(totals.rejected),
        tag_fixes=fixes,
        vision_events=vision,
        alerts_by_rule=dict(by_rule),
        alerts_by_scenario=dict(by_scenario),
        scenarios=results,
        escalations=int(escalations or 0),
        unexpected_critical=unexpected,
    )


def run_demo(
    duration_s: float | None,
    *,
    database_url: str,
    port: int | None = None,
    speed: float = 1.0,
    seed: int = 0,
    host: str = "127.0.0.1",
    stop: threading.Event | None = None,
    on_ready=None,
) -> DemoSummary:
    """Run the simulated mine against the real service for ``duration_s`` wall seconds (None: until
    ``stop`` is set). ``port``: serve the API with uvicorn meanwhile; ``on_ready(app)`` is called once
    the service runs (e.g. to print the admin password). Returns the summary."""
    if speed <= 0:
        raise ValueError(f"speed must be > 0 (simulated seconds per wall second), got {speed}")
    if duration_s is not None and duration_s <= 0:
        raise ValueError(f"duration must be > 0 seconds, got {duration_s}")
    from mineguard.services.api.main import create_app

    overrides = {"port": port, "host": host} if port is not None else {}
    settings = Settings(database_url=database_url, **overrides)
    app = create_app(settings)
    if port is None:
        from fastapi.testclient import TestClient

        with TestClient(app):
            if on_ready is not None:
                on_ready(app)
            return _drive(app, settings, duration_s, speed, seed, stop)

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="mineguard-demo-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on {host}:{port} — is the port free?")
        time.sleep(0.05)
    try:
        if on_ready is not None:
            on_ready(app)
        return _drive(app, settings, duration_s, speed, seed, stop)
    finally:
        server.should_exit = True
        thread.join(15.0)
