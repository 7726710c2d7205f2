"""Gate passages: a miner crossing a headcount gate is seen by the gate's face terminal.

The site file's ``headcount.gates`` are the check-in gates; its zones marked ``surface: true`` are
not underground. When a walker's zone changes from a gate to an underground zone they went "in";
from an underground zone to a gate, "out". Each passage is a face-terminal event, the wire payload
of ``POST /api/v1/events`` a real gate terminal sends (``face.identified`` with
``attributes.direction``, the gate's camera as ``device_id`` when it has one): the simulated
people wear tags only, so the identification is simulated, the interface is not. ``went_in`` keeps
when each person still underground went in (wall clock), for the ``overdue`` hazard condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mineguard.mine.headcount import Direction
from mineguard.mine.site import SiteConfig
from mineguard.sim.people import Walker


@dataclass(frozen=True)
class Passage:
    person: str
    gate: str  # the gate zone
    direction: Direction
    t: datetime


def passage(before: str | None, after: str | None, gates: frozenset[str], surface: frozenset[str]) -> Direction | None:
    """The direction of a move from zone ``before`` to zone ``after``: "in" from a gate to underground,
    "out" from underground to a gate, None for any other move."""
    if before is None or after is None:
        return None
    if before in gates and after not in surface:
        return "in"
    if after in gates and before not in surface:
        return "out"
    return None


@dataclass
class GateWatch:
    """Watches every walker's zone each step; ``step(now)`` returns the passages' events."""

    site: SiteConfig
    walkers: list[Walker]
    went_in: dict[str, datetime] = field(default_factory=dict)  # person -> when they went in (wall clock)
    passages: list[Passage] = field(default_factory=list)
    _zone: dict[str, str | None] = field(init=False)

    def __post_init__(self) -> None:
        config = self.site.headcount
        self.gates = frozenset(config.gates) if config is not None else frozenset()
        self.surface = frozenset(z.id for z in self.site.zones if z.surface)
        self.terminal = {
            gate: next((d.id for d in self.site.devices if d.kind == "camera" and d.zone == gate), None)
            for gate in self.gates
        }
        self._zone = {w.plan.asset: w.zone() for w in self.walkers}

    def step(self, now: datetime) -> list[dict]:
        events = []
        for walker in self.walkers:
            person, zone = walker.plan.asset, walker.zone()
            before = self._zone[person]
            if zone is None or zone == before:
                continue
            self._zone[person] = zone
            direction = passage(before, zone, self.gates, self.surface)
            if direction is None:
                continue
            gate = before if direction == "in" else zone
            if direction == "in":
                self.went_in[person] = now
            else:
                self.went_in.pop(person, None)
            self.passages.append(Passage(person, gate, direction, now))
            events.append(self._event(person, gate, direction, now))
        return events

    def _event(self, person: str, gate: str, direction: Direction, now: datetime) -> dict:
        event = {
            "source": "face",
            "label": "identified",
            "t": now.isoformat(),
            "zone_id": gate,
            "asset_id": person,
            "confidence": 0.93,
            "event_id": f"sim-gate-{gate}-{person}-{now.timestamp() * 1000:.0f}",
            "attributes": {"direction": direction, "detector": "simulated"},
        }
        if self.terminal.get(gate):
            event["device_id"] = self.terminal[gate]
        return event
