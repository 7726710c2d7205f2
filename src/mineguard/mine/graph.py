"""The mine as a graph of zones: locate a point in a zone, find routes between zones.

Each zone is a centre line (a polyline in metres) with a radius derived from its cross-section;
a point lies in the zone whose centre line is nearest, if it is within that radius. Pure
Python/numpy, no database: built from the site config or from the stored zones.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ZoneShape:
    id: str
    points: np.ndarray  # (K, 3) metres
    radius_m: float


def _distance_to_polyline(point: np.ndarray, points: np.ndarray) -> float:
    if len(points) == 1:
        return float(np.linalg.norm(point - points[0]))
    a, b = points[:-1], points[1:]
    ab = b - a
    length2 = np.maximum((ab * ab).sum(axis=1), 1e-12)
    t = np.clip(((point - a) * ab).sum(axis=1) / length2, 0.0, 1.0)
    nearest = a + t[:, None] * ab
    return float(np.linalg.norm(point - nearest, axis=1).min())


class ZoneGraph:
    """Zones and their links; ``locate`` maps (x, y, z) metres to a zone id or None."""

    def __init__(self, shapes: Iterable[ZoneShape], links: Iterable[tuple[str, str]] = ()) -> None:
        self.shapes = {shape.id: shape for shape in shapes}
        self.neighbours: dict[str, set[str]] = {zone_id: set() for zone_id in self.shapes}
        for a, b in links:
            self.neighbours[a].add(b)
            self.neighbours[b].add(a)
        # every centre-line segment of every zone, for one vectorised nearest-segment search
        starts, ends, owners = [], [], []
        for index, shape in enumerate(self.shapes.values()):
            points = shape.points if len(shape.points) > 1 else np.repeat(shape.points, 2, axis=0)
            starts.append(points[:-1])
            ends.append(points[1:])
            owners += [index] * (len(points) - 1)
        self._ids = list(self.shapes)
        self._a = np.concatenate(starts) if starts else np.zeros((0, 3))
        self._ab = (np.concatenate(ends) if ends else np.zeros((0, 3))) - self._a
        self._ab_len2 = np.maximum((self._ab * self._ab).sum(axis=1), 1e-12)
        self._owner = np.asarray(owners, dtype=int)
        self._radius = np.asarray([shape.radius_m for shape in self.shapes.values()])[self._owner]

    @classmethod
    def from_site(cls, site) -> ZoneGraph:
        shapes = [ZoneShape(z.id, np.asarray(z.path, dtype=float), z.radius_m) for z in site.zones]
        return cls(shapes, site.links)

    def locate(self, x: float, y: float, z: float) -> str | None:
        """The zone whose centre line is nearest to the point, if within its radius; else None."""
        if not len(self._a):
            return None
        point = np.array([x, y, z], dtype=float)
        t = np.clip(((point - self._a) * self._ab).sum(axis=1) / self._ab_len2, 0.0, 1.0)
        distance = np.linalg.norm(point - (self._a + t[:, None] * self._ab), axis=1)
        distance = np.where(distance <= self._radius, distance, np.inf)
        best = int(distance.argmin())
        return self._ids[self._owner[best]] if np.isfinite(distance[best]) else None

    def distance_to(self, zone_id: str, x: float, y: float, z: float) -> float:
        """Distance in metres from a point to a zone's centre line."""
        return _distance_to_polyline(np.array([x, y, z], dtype=float), self.shapes[zone_id].points)

    def distances_to(self, zone_id: str, points: np.ndarray) -> np.ndarray:
        """:meth:`distance_to` of many points at once: (N, 3) metres -> (N,) metres."""
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        line = self.shapes[zone_id].points
        if len(line) == 1:
            return np.linalg.norm(points - line[0], axis=1)
        a, ab = line[:-1], line[1:] - line[:-1]  # (S, 3)
        length2 = np.maximum((ab * ab).sum(axis=1), 1e-12)
        t = np.clip(((points[:, None, :] - a) * ab).sum(axis=2) / length2, 0.0, 1.0)  # (N, S)
        nearest = a + t[..., None] * ab
        return np.linalg.norm(points[:, None, :] - nearest, axis=2).min(axis=1)

    def route(self, start: str, goal: str) -> list[str]:
        """Fewest-hops list of zone ids from ``start`` to ``goal`` (both included)."""
        for zone_id in (start, goal):
            if zone_id not in self.shapes:
                raise KeyError(f"unknown zone {zone_id!r} — known: {', '.join(sorted(self.shapes))}")
        previous: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            current = queue.popleft()
            if current == goal:
                path = [goal]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            for nxt in sorted(self.neighbours[current]):
                if nxt not in previous:
                    previous[nxt] = current
                    queue.append(nxt)
        raise ValueError(f"no route from {start!r} to {goal!r} — check the site's links")

    def nearest(self, start: str, goals: Iterable[str]) -> list[str] | None:
        """Fewest-hops route from ``start`` to the nearest of ``goals`` (ties: the smaller id).

        None when no goal can be reached."""
        if start not in self.shapes:
            raise KeyError(f"unknown zone {start!r} — known: {', '.join(sorted(self.shapes))}")
        wanted = set(goals)
        previous: dict[str, str | None] = {start: None}
        frontier = [start]
        while frontier:
            reached = sorted(zone_id for zone_id in frontier if zone_id in wanted)
            if reached:
                path = [reached[0]]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            following: list[str] = []
            for current in frontier:
                for nxt in sorted(self.neighbours[current]):
                    if nxt not in previous:
                        previous[nxt] = current
                        following.append(nxt)
            frontier = following
        return None

    def point_along(self, zone_id: str, fraction: float) -> Sequence[float]:
        """The point at ``fraction`` (0..1) of a zone's centre line, for simulators and tests."""
        points = self.shapes[zone_id].points
        if len(points) == 1:
            return points[0].tolist()
        seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
        target = float(np.clip(fraction, 0.0, 1.0)) * seg.sum()
        i = int(np.searchsorted(np.cumsum(seg), target, side="left").clip(0, len(seg) - 1))
        start = target - (np.cumsum(seg)[i] - seg[i])
        t = 0.0 if seg[i] == 0 else start / seg[i]
        return (points[i] + t * (points[i + 1] - points[i])).tolist()
