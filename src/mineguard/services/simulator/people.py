"""Miners walking the roadways: each wears a tag and follows ``ZoneGraph.route`` at ~1.2 m/s.

A :class:`Walker` turns a route (start zone and fraction along it, goal zone) into a polyline
along the zones' centre lines and advances along it; every step gives a :class:`TagFix` (a
position fix with a little noise and an accelerometer chunk from ``generate_accel``) that the
runner applies with :func:`~mineguard.services.iot.tags.apply_tag_reading`. At the goal the
miner keeps working (moving about), so the chunk stays "walking" rather than still.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mineguard.services.twin.graph import ZoneGraph
from mineguard.services.twin.motion import generate_accel
from mineguard.services.twin.site import SiteConfig

WALK_MPS = 1.2
ACCEL_HZ = 25.0


@dataclass(frozen=True)
class TagFix:
    asset_id: str
    barcode: str
    gateway_id: str
    xyz: tuple[float, float, float]
    accel_g: np.ndarray
    rate_hz: float


@dataclass(frozen=True)
class Plan:
    """Where a miner starts (zone, fraction along it) and where they walk to."""

    asset_id: str
    start_zone: str
    start_fraction: float
    goal_zone: str
    goal_fraction: float = 0.5


# The shift is already underground; miner-004 (crew b) is the one scenario (b) watches.
DEFAULT_PLANS = (
    Plan("miner-001", "main_roadway", 0.55, "face_1102", 0.3),
    Plan("miner-002", "main_roadway", 0.5, "face_1102", 0.6),
    Plan("miner-003", "belt_roadway", 0.6, "face_1102", 0.8),
    Plan("miner-004", "main_roadway", 0.86, "face_1101", 0.4),
    Plan("miner-005", "main_roadway", 0.4, "refuge_1", 0.8),
    Plan("miner-006", "pit_bottom", 0.5, "belt_roadway", 0.3),
)


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
        plan: Plan,
        barcode: str,
        *,
        gateways: dict[str, np.ndarray],
        speed_mps: float = WALK_MPS,
        seed: int = 0,
    ) -> None:
        self.graph, self.plan, self.barcode, self.gateways = graph, plan, barcode, gateways
        self.speed, self.rng, self.seed = speed_mps, np.random.default_rng(seed), seed
        self.route = graph.route(plan.start_zone, plan.goal_zone)
        self.path = self._polyline()
        seg = np.linalg.norm(np.diff(self.path, axis=0), axis=1)
        self._cum = np.concatenate(([0.0], np.cumsum(seg)))
        self.length = float(self._cum[-1])
        self.travelled = 0.0
        self._n = 0

    def _polyline(self) -> np.ndarray:
        shapes = self.graph.shapes
        start = np.asarray(self.graph.point_along(self.plan.start_zone, self.plan.start_fraction), dtype=float)
        if len(self.route) == 1:
            goal = np.asarray(self.graph.point_along(self.plan.goal_zone, self.plan.goal_fraction), dtype=float)
            return np.array([start, goal])
        pts = [start]
        first = shapes[self.route[0]].points
        nxt = shapes[self.route[1]].points
        # leave the start zone by the end nearest the next zone
        ends = [first[0], first[-1]]
        exit_end = min(ends, key=lambda p: min(np.linalg.norm(p - nxt[0]), np.linalg.norm(p - nxt[-1])))
        exit_f = 0.0 if exit_end is ends[0] else 1.0
        pts += list(_portion(first, self.plan.start_fraction, exit_f)[1:])
        for zone in self.route[1:-1]:
            pts += list(_oriented(shapes[zone].points, pts[-1]))
        goal_pts = shapes[self.route[-1]].points
        entry_f = 0.0 if np.linalg.norm(goal_pts[0] - pts[-1]) <= np.linalg.norm(goal_pts[-1] - pts[-1]) else 1.0
        pts += list(_portion(goal_pts, entry_f, self.plan.goal_fraction))
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
        self.travelled = min(self.travelled + self.speed * dt, self.length)
        xyz = self.position() + self.rng.normal(0.0, 0.3, size=3) * np.array([1.0, 1.0, 0.0])
        gateway = min(self.gateways, key=lambda g: float(np.linalg.norm(self.gateways[g] - xyz)))
        self._n += 1
        accel = generate_accel("walking", seconds=2.0, rate_hz=ACCEL_HZ, seed=self.seed * 100_003 + self._n)
        return TagFix(self.plan.asset_id, self.barcode, gateway, tuple(float(v) for v in xyz), accel, ACCEL_HZ)


def make_walkers(site: SiteConfig, graph: ZoneGraph, plans=DEFAULT_PLANS, *, seed: int = 0) -> list[Walker]:
    """One walker per plan; miners wear the site's tags in order (tag-0001 on miner-001, ...)."""
    tags = [d for d in site.devices if d.kind == "tag"]
    gateways = {d.id: np.asarray(d.position, dtype=float) for d in site.devices if d.kind == "gateway" and d.position}
    return [
        Walker(graph, plan, tags[i].barcode or tags[i].id, gateways=gateways, seed=seed + i)
        for i, plan in enumerate(plans)
    ]
