"""Which way a track passed a check-in line drawn on the picture, with hysteresis.

A :class:`GateLine` is two points in picture pixels and a point on its underground side. A point's
*signed distance* to the line is positive on the underground side. :class:`LineCrossing` follows
one track's centre: the track commits to a side only once its centre is more than
``hysteresis_px`` from the line, so a centre wobbling on the line (detector jitter, a miner
standing in the doorway) changes nothing. A passage is the committed side changing — "in" from
the surface side to the underground side, "out" the other way; :attr:`LineCrossing.net` is the
direction between the first committed side and the last (None when the track ended where it
started, e.g. it crossed and came back).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mineguard.mine.headcount import Direction

Point = tuple[float, float]


@dataclass(frozen=True)
class GateLine:
    """``a``, ``b``: the line's ends (px); ``underground``: any point on the underground side (px)."""

    a: Point
    b: Point
    underground: Point

    def __post_init__(self) -> None:
        if math.dist(self.a, self.b) < 1.0:
            raise ValueError(f"gate line {self.a} - {self.b} has two equal ends")
        if abs(self._cross(self.underground)) < 1e-9:
            raise ValueError(f"gate line: the underground point {self.underground} lies on the line")

    def _cross(self, p: Point) -> float:
        (x1, y1), (x2, y2) = self.a, self.b
        return ((x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1)) / math.dist(self.a, self.b)

    def signed_distance(self, p: Point) -> float:
        """Distance of ``p`` to the (infinite) line in px, positive on the underground side."""
        d = self._cross(p)
        return d if self._cross(self.underground) > 0 else -d


@dataclass
class LineCrossing:
    """One track's side of a :class:`GateLine`; feed its centre each frame with :meth:`update`."""

    line: GateLine
    hysteresis_px: float = 12.0
    first_side: int = 0  # +1 underground, -1 surface, 0 not yet committed
    side: int = 0
    crossings: list[Direction] = field(default_factory=list)

    def update(self, centre: Point) -> Direction | None:
        """The passage this position completes ("in" / "out"), or None."""
        d = self.line.signed_distance(centre)
        if abs(d) <= self.hysteresis_px:
            return None
        side = 1 if d > 0 else -1
        if self.side == 0:
            self.first_side = self.side = side
            return None
        if side == self.side:
            return None
        self.side = side
        direction: Direction = "in" if side > 0 else "out"
        self.crossings.append(direction)
        return direction

    @property
    def net(self) -> Direction | None:
        """The direction from the first committed side to the current one; None if the same (or never)."""
        if self.first_side == 0 or self.side == self.first_side:
            return None
        return "in" if self.side > 0 else "out"
