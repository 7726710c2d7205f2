"""``run``: the simulated mine as a client of a running MineGuard service, start to summary.

The service runs elsewhere (``mineguard serve``, or the CLI's demo in a thread of its own
process); the simulation only talks to it through its real interfaces. Before the first step it
registers the site's gateways and pairs the miners' tags (HTTP). Each simulated second:

1. the scenario script sets the machines and the sensors' offsets and names the camera events;
2. every sensor reading (machine state, vibration and bearing sensors included) goes out through
   the publisher (bus, MQTT or HTTP), stamped with the wall clock so the clock-skew check passes;
3. camera events are posted to ``POST /api/v1/events``;
4. the miners' tag fixes are posted by the gateway nearest each one
   (``POST /api/v1/gateways/{id}/readings``) — the service derives who approaches what from them;
5. a miner crossing a headcount gate is a face-terminal event with its direction
   (``POST /api/v1/events``, :mod:`.gates`) — the service's headcount reconciles both.

At the end it waits until the service has ingested what was published, then builds the summary
from ``GET /api/v1/alerts``, ``/api/v1/readings/stats`` and ``/api/v1/rescue-list``. ``speed``
compresses the timeline: one simulated second every ``1 / speed`` wall seconds, while readings stay
stamped with the wall clock
(rates and debounce times in the rules are wall time).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

from mineguard.mine.events import EventSource
from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import SiteConfig
from mineguard.services.settings import Settings
from mineguard.sim.client import ServiceClient, ServiceError
from mineguard.sim.gates import GateWatch
from mineguard.sim.people import make_walkers
from mineguard.sim.publish import Publisher
from mineguard.sim.scenarios import ScenarioPlayer
from mineguard.sim.script import SimConfig
from mineguard.sim.sensors import SensorField
from mineguard.sim.summary import DemoSummary, early_warning_lines, rescue_lines, scenario_results

log = logging.getLogger(__name__)
SERVICE_TICK_S: float = Settings.model_fields["tick_s"].default  # the service's rule tick, unless configured


class _Clock:
    """Paces simulated seconds at ``speed`` per wall second; ``stop`` ends the run early."""

    def __init__(self, speed: float, stop: threading.Event | None) -> None:
        self.interval = 1.0 / speed
        self.start = time.monotonic()
        self.stopped = stop if stop is not None else threading.Event()

    def wait_step(self, i: int) -> bool:
        delay = self.start + i * self.interval - time.monotonic()
        try:
            if delay > 0:
                return not self.stopped.wait(delay)
        except KeyboardInterrupt:  # Ctrl-C ends the run; the summary still comes
            self.stopped.set()
            return False
        return not self.stopped.is_set()


def _stored(stats: dict, before: dict) -> tuple[int, dict[str, int]]:
    stored = int(stats["readings"]) - int(before["readings"])
    old = before.get("rejected_by_reason", {})
    rejects = {k: int(v) - int(old.get(k, 0)) for k, v in stats.get("rejected_by_reason", {}).items()}
    return stored, {k: v for k, v in rejects.items() if v}


def wait_ingested(client: ServiceClient, before: dict, published: int, timeout_s: float = 15.0) -> dict:
    """Poll until every published reading is stored or rejected and nothing waits to be stored
    (or ``timeout_s``); returns the last ``/readings/stats``."""
    deadline = time.monotonic() + timeout_s
    while True:
        stats = client.reading_stats()
        stored, rejects = _stored(stats, before)
        ingest = client.health().get("ingest") or {}
        if (stored + sum(rejects.values()) >= published and not ingest.get("waiting")) or time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


def settle_window_s(site: SiteConfig, tick_s: float = SERVICE_TICK_S, slack_s: float = 1.5) -> float:
    """How long the alerts must stay unchanged before the summary reads them: the longest hold of the
    site's combined rules that read what a run sends (they raise on the service's tick, after the last
    reading, once their conditions held long enough) plus one tick and some slack for a loaded machine;
    at least 2.5 s. Threshold rules raise only on a reading, so they are settled once everything is
    ingested; rules on ``system.*`` signals (camera health from the video runtime) read nothing a run sends."""
    system = f"{EventSource.SYSTEM.value}."
    driven = [rule for rule in site.rules.combined if not any(c.signal.startswith(system) for c in rule.conditions)]
    longest = max((rule.for_s for rule in driven), default=0.0)
    return max(2.5, longest + tick_s + slack_s)


def settled_alerts(client: ServiceClient, after_id: int, quiet_s: float = 2.5, timeout_s: float = 10.0) -> list[dict]:
    """The alerts raised after ``after_id``, oldest first, read again until none came for ``quiet_s`` (or
    ``timeout_s``): a rule with a hold time (``for_s``) raises on what the run sent last a moment after it
    (``run`` takes ``quiet_s`` from :func:`settle_window_s`)."""
    deadline = time.monotonic() + timeout_s
    alerts = [a for a in client.alerts() if a["id"] > after_id]
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        again = [a for a in client.alerts() if a["id"] > after_id]
        if {a["id"] for a in again} == {a["id"] for a in alerts}:
            break
        alerts = again
    return sorted(alerts, key=lambda a: a["id"])


def _prepare(client: ServiceClient, walkers) -> None:
    """Log in, register the gateways the miners' fixes go through, pair each miner's tag."""
    client.login()
    for gateway in sorted({g for walker in walkers for g in walker.gateways}):
        client.register_gateway(gateway)
    for walker in walkers:
        client.pair_tag(walker.barcode, walker.plan.asset)


def run(
    sim: SimConfig,
    client: ServiceClient,
    publisher: Publisher,
    *,
    duration_s: float | None,
    speed: float = 1.0,
    seed: int = 0,
    stop: threading.Event | None = None,
) -> DemoSummary:
    """Drive the service for ``duration_s`` wall seconds (None: until ``stop`` is set); the summary."""
    if speed <= 0:
        raise ValueError(f"speed must be > 0 (simulated seconds per wall second), got {speed}")
    if duration_s is not None and duration_s <= 0:
        raise ValueError(f"duration must be > 0 seconds, got {duration_s}")
    site, script = sim.site, sim.script
    graph = ZoneGraph.from_site(site)
    sensors = SensorField(site, script.world, seed=seed, seq0=int(time.time() * 1000))
    walkers = make_walkers(site, graph, script.people, seed=seed, ride_mps=script.world.ride_mps)
    gates = GateWatch(site, walkers)
    player = ScenarioPlayer(script, site, sensors, graph, {w.plan.asset: w for w in walkers}, seed=seed, gates=gates)
    _prepare(client, walkers)
    last_alert = max((a["id"] for a in client.alerts(limit=1)), default=0)
    before = client.reading_stats()
    clock = _Clock(speed, stop)
    started = datetime.now(UTC)
    steps = None if duration_s is None else round(duration_s * speed)
    fixes = vision = 0
    triggered: dict[str, datetime] = {}
    i = 0
    while (steps is None or i < steps) and clock.wait_step(i):
        i += 1
        now = datetime.now(UTC)
        stamp = now.isoformat()
        events = player.step(float(i), now)
        for sid in player.triggered.keys() - triggered.keys():
            triggered[sid] = now
        publisher.publish(site.id, sensors.step(1.0), stamp)
        if events:
            vision += int(client.post_events(events)["accepted"])
        heard = defaultdict(list)
        for walker in walkers:
            fix = walker.step(1.0)
            heard[fix.gateway_id].append(fix)
        for gateway, batch in heard.items():
            fixes += sum(1 for outcome in client.post_tag_fixes(gateway, batch, stamp) if not outcome.get("refused"))
        passed = gates.step(now)
        if passed:
            client.post_events(passed)
    wall_s = time.monotonic() - clock.start
    if not publisher.flush(10.0):
        log.warning("not every reading left the publisher within 10 s (%s)", publisher.describe())
    stats = wait_ingested(client, before, publisher.published)
    stored, rejects = _stored(stats, before)
    quiet_s = settle_window_s(site)
    alerts = settled_alerts(client, last_alert, quiet_s=quiet_s, timeout_s=4 * quiet_s)
    results, by_rule, by_scenario, unexpected = scenario_results(script, alerts, triggered)
    try:
        leads = client.get("/warnings/lead-times", start=started.isoformat())
        forecasts = client.get("/forecasts", start=started.isoformat(), limit=10_000)
        early_warning = early_warning_lines(alerts, leads, forecasts)
    except ServiceError as exc:  # a user who may not read forecasts
        early_warning = [f"(not available: {exc})"]
    try:
        rescue = rescue_lines(client.get("/rescue-list"))
    except ServiceError as exc:  # a site without headcount (409) or a user who may not see it
        rescue = [f"(not available: {exc})"]
    return DemoSummary(
        site=site.id,
        transport=publisher.describe(),
        wall_s=wall_s,
        sim_s=float(i),
        timeline_s=script.timeline_s,
        speed=speed,
        readings_published=publisher.published,
        readings_dropped=sensors.dropped,
        readings_stored=stored,
        duplicates=publisher.duplicates,
        rejects=rejects,
        tag_fixes=fixes,
        vision_events=vision,
        gate_passages=len(gates.passages),
        alerts_by_rule=by_rule,
        alerts_by_scenario=by_scenario,
        scenarios=results,
        escalations=sum(int(a.get("escalation_level") or 0) for a in alerts),
        unexpected_critical=unexpected,
        rescue=rescue,
        early_warning=early_warning,
    )
