"""Miners walking the roadways: each wears a tag and follows ``ZoneGraph.route`` at ~1.2 m/s.

A :class:`Walker` turns a plan of the scenario file (start zone and fraction along it, goal zone)
into a polyline along the zones' centre lines and advances along it; every step gives a
:class:`TagFix` (a position fix with a little noise and an accelerometer chunk from
``generate_accel``) that the runner posts as the nearest gateway would
(``POST /api/v1/gateways/{id}/readings``). At the goal the miner keeps working (moving about), so
the chunk stays "walking" rather than still. A plan with ``back`` sets off again at ``back.at_s``
(simulated seconds of the walker's own clock) from the goal to ``back.to``; in a zone of
``ride_mps`` (a shaft's cage) the miner moves at that speed instead of walking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import SiteConfig
from mineguard.services.twin.motion import generate_accel
from mineguard.sim.script import PersonPlan, Place

ACCEL_HZ = 25.0


@dataclass(frozen=True)
class TagFix:
    asset_id: str
    barcode: str
    gateway_id: str
    xyz: tuple[float, float, float]
    accel_g: np.ndarray
    rate_hz: float


def _oriented(points: np.ndarray, near: np.ndarray) -> np.ndarray:
    """The zone's centre line, starting from the end nearest ``near``."""
    return points if np.linalg.norm(points[0] - near) <= np.linalg.norm(points[-1] - near) else points[::-1]


def _portion(points: np.ndarray, start: float, end: float) -> np.ndarray:
    """The polyline from fraction ``start`` to fraction ``end`` of its length (either direction)."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    total = cum[-1]

    def at(f: float) -> np.ndarray:
        return np.array([np.interp(f * total, cum, points[:, k]) for k in range(3)])

    a, b = start * total, end * total
    inner = [points[i] for i in range(len(points)) if min(a, b) < cum[i] < max(a, b)]
    if b < a:
        inner = inner[::-1]
    return np.array([at(start), *inner, at(end)])


class Walker:
    """One miner walking a route at ``speed_mps``; ``step(dt)`` moves them and returns a fix."""

    def __init__(
        self,
        graph: ZoneGraph,
        plan: PersonPlan,
        barcode: str,
        *,
        gateways: dict[str, np.ndarray],
        seed: int = 0,
        ride_mps: dict[str, float] | None = None,
    ) -> None:
        if not gateways:
            raise ValueError("the site has no gateway with a position — tag fixes are sent through gateways")
        self.graph, self.plan, self.barcode, self.gateways = graph, plan, barcode, gateways
        self.speed, self.rng, self.seed = plan.speed_mps, np.random.default_rng(seed), seed
        self.ride_mps = dict(ride_mps or {})
        self.t = 0.0  # simulated seconds walked so far
        self.turned = False  # set off on ``plan.back``
        self._set_path(plan.start, plan.goal)
        self._n = 0

    def _set_path(self, start: Place, goal: Place) -> None:
        self.route = self.graph.route(start.zone, goal.zone)
        self.path = self._polyline(start, goal)
        seg = np.linalg.norm(np.diff(self.path, axis=0), axis=1)
        self._cum = np.concatenate(([0.0], np.cumsum(seg)))
        self.length = float(self._cum[-1])
        self.travelled = 0.0

    def _polyline(self, start_place: Place, goal_place: Place) -> np.ndarray:
        shapes = self.graph.shapes
        start = np.asarray(self.graph.point_along(start_place.zone, start_place.at), dtype=float)
        if len(self.route) == 1:
            goal = np.asarray(self.graph.point_along(goal_place.zone, goal_place.at), dtype=float)
            return np.array([start, goal])
        pts = [start]
        first = shapes[self.route[0]].points
        nxt = shapes[self.route[1]].points
        # leave the start zone by the end nearest the next zone
        ends = [first[0], first[-1]]
        exit_end = min(ends, key=lambda p: min(np.linalg.norm(p - nxt[0]), np.linalg.norm(p - nxt[-1])))
        exit_f = 0.0 if exit_end is ends[0] else 1.0
        pts += list(_portion(first, start_place.at, exit_f)[1:])
        for zone in self.route[1:-1]:
            pts += list(_oriented(shapes[zone].points, pts[-1]))
        goal_pts = shapes[self.route[-1]].points
        entry_f = 0.0 if np.linalg.norm(goal_pts[0] - pts[-1]) <= np.linalg.norm(goal_pts[-1] - pts[-1]) else 1.0
        pts += list(_portion(goal_pts, entry_f, goal_place.at))
        return np.array(pts, dtype=float)

    @property
    def arrived(self) -> bool:
        return self.travelled >= self.length

    def position(self) -> np.ndarray:
        d = min(self.travelled, self.length)
        return np.array([np.interp(d, self._cum, self.path[:, k]) for k in range(3)])

    def zone(self) -> str | None:
        return self.graph.locate(*self.position())

    def step(self, dt: float = 1.0) -> TagFix:
        self.t += dt
        back = self.plan.back
        if back is not None and not self.turned and self.t >= back.at_s:
            self.turned = True
            self._set_path(self.plan.goal, back.to)
        speed = self.ride_mps.get(self.zone() or "", self.speed)
        self.travelled = min(self.travelled + speed * dt, self.length)
        xyz = self.position() + self.rng.normal(0.0, 0.3, size=3) * np.array([1.0, 1.0, 0.0])
        gateway = min(self.gateways, key=lambda g: float(np.linalg.norm(self.gateways[g] - xyz)))
        self._n += 1
        accel = generate_accel("walking", seconds=2.0, rate_hz=ACCEL_HZ, seed=self.seed * 100_003 + self._n)
        return TagFix(self.plan.asset, self.barcode, gateway, tuple(float(v) for v in xyz), accel, ACCEL_HZ)


def make_walkers(
    site: SiteConfig,
    graph: ZoneGraph,
    plans: Sequence[PersonPlan],
    *,
    seed: int = 0,
    ride_mps: dict[str, float] | None = None,
) -> list[Walker]:
    """One walker per plan; a plan without ``tag`` wears the site's next unnamed tag (in file order)."""
    named = {plan.tag for plan in plans if plan.tag}
    free = iter([d for d in site.devices if d.kind == "tag" and d.id not in named])
    tags = {d.id: d for d in site.devices if d.kind == "tag"}
    gateways = {d.id: np.asarray(d.position, dtype=float) for d in site.devices if d.kind == "gateway" and d.position}
    walkers = []
    for i, plan in enumerate(plans):
        tag = tags[plan.tag] if plan.tag else next(free)
        walkers.append(Walker(graph, plan, tag.barcode or tag.id, gateways=gateways, seed=seed + i, ride_mps=ride_mps))
    return walkers
