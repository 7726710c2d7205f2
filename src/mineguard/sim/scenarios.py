"""Plays a scenario script (:mod:`.script`) on the simulated world, one simulated second at a time.

Each step sets the machines' states and the sensors' offsets for the time, returns the camera
events of the step (wire payloads of ``POST /api/v1/events``, as a camera detector posts them) and
records when each scenario's hazard became real in the simulated ground truth (``triggered``), so
the alert latency can be measured. Nothing here knows a site: every id comes from the script.
A person is ``overdue`` once they are still underground (they went in at a gate, :mod:`.gates`)
at their shift's end plus grace, by the site file's shifts (:func:`mineguard.mine.shifts.due_out`).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.shifts import due_out
from mineguard.mine.site import SiteConfig
from mineguard.sim.gates import GateWatch
from mineguard.sim.people import Walker
from mineguard.sim.script import Condition, Ramp, ScenarioScript
from mineguard.sim.sensors import SensorField

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def ramp_value(ramp: Ramp, t: float) -> float:
    """The ramp's offset at simulated second ``t``: 0 -> ``by`` over from_s..full_s, held to to_s."""
    if not ramp.from_s <= t < ramp.to_s:
        return 0.0
    return float(np.clip((t - ramp.from_s) / (ramp.full_s - ramp.from_s), 0.0, 1.0)) * ramp.by


@dataclass
class ScenarioPlayer:
    """Applies the script to the sensor field and reads the walkers; ``step(t, now)`` per second."""

    script: ScenarioScript
    site: SiteConfig
    sensors: SensorField
    graph: ZoneGraph
    walkers: dict[str, Walker]  # person asset id -> walker
    seed: int = 0
    gates: GateWatch | None = None  # who went in when, for the ``overdue`` condition
    triggered: dict[str, float] = field(default_factory=dict)  # scenario id -> sim time the hazard became real
    _rng: np.random.Generator = field(init=False)
    _where: dict[str, tuple[str, np.ndarray | None]] = field(init=False)  # device id -> (zone, position)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed + 7)
        self._where = {
            d.id: (d.zone, None if d.position is None else np.asarray(d.position, dtype=float))
            for d in self.site.devices
        }

    def _set_world(self, t: float) -> None:
        state = self.sensors.state
        for machine in state.running:
            state.running[machine] = True
        state.offsets.clear()
        for spec in self.script.scenarios:
            for change in spec.machines:
                if change.from_s <= t and (change.to_s is None or t < change.to_s):
                    state.running[change.asset] = change.running
            for ramp in spec.ramps:
                state.offsets[ramp.device] = state.offsets.get(ramp.device, 0.0) + ramp_value(ramp, t)

    def distance(self, person: str, of: str) -> float:
        """Metres from a person to a zone (along the graph) or to a device's position (straight)."""
        pos = self.walkers[person].position()
        if of in self.graph.shapes:
            return float(self.graph.distance_to(of, *pos))
        zone, where = self._where[of]
        if where is None:  # a device without a position: as far as its zone
            return float(self.graph.distance_to(zone, *pos))
        return float(np.linalg.norm(pos - where))

    def overdue(self, person: str, now: datetime) -> bool:
        """Still underground (went in at a gate) at their shift's end plus grace."""
        went_in = self.gates.went_in.get(person) if self.gates is not None else None
        if went_in is None:
            return False
        crew = next((a.crew for a in self.site.assets if a.id == person), None)
        due = due_out(self.site.shifts, self.site.timezone, crew, went_in)
        return due is not None and now >= due

    def holds(self, cond: Condition, now: datetime) -> bool:
        if cond.device is not None:
            return _OPS[cond.op](self.sensors.true_value(cond.device), cond.value)
        if cond.machine is not None:
            return self.sensors.state.running.get(cond.machine, True) == cond.running
        if cond.person not in self.walkers:
            return False
        if cond.overdue:
            return self.overdue(cond.person, now)
        return self.distance(cond.person, cond.of) <= cond.within_m

    def step(self, t: float, now: datetime) -> list[dict]:
        """Set the world for simulated second ``t``; returns this step's camera events."""
        self._set_world(t)
        events = []
        for spec in self.script.scenarios:
            for seen in spec.cameras:
                if seen.person in self.walkers and self.distance(seen.person, seen.camera) <= seen.range_m:
                    events.append(self._event(seen, t, now))
            if spec.id not in self.triggered and all(self.holds(cond, now) for cond in spec.hazard):
                self.triggered[spec.id] = t
        return events

    def _event(self, seen, t: float, now: datetime) -> dict:
        x1, y1 = round(float(self._rng.uniform(200, 900)), 1), round(float(self._rng.uniform(150, 300)), 1)
        low, high = seen.confidence
        return {
            "source": seen.source,
            "label": seen.label,
            "t": now.isoformat(),
            "device_id": seen.camera,
            "zone_id": self._where[seen.camera][0],
            "asset_id": seen.person,
            "confidence": round(float(self._rng.uniform(low, high)), 3),
            "bbox": [x1, y1, x1 + 90.0, y1 + 260.0],
            "event_id": f"sim-{seen.camera}-{now.timestamp() * 1000:.0f}-{int(t)}",
            "attributes": {"detector": "simulated", "frame": int(t)},
        }
