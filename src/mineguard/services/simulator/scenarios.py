"""The four scenarios of seed 003 §4, scripted on one timeline (simulated seconds from the start).

========  ==========  =====================================================================
scenario  sim time    what happens
========  ==========  =====================================================================
gas       8 → 83      booster fan F2 stops; methane at face 1101 climbs ~0.03 %/s past 1.0
                      and 1.5 % (towards ~1.75 %); at 83 s the fan restarts and it clears
helmet    ~55 → ~120  miner-004 walks from the main roadway towards face 1101 (a danger
                      zone) without a helmet; the face-gate camera reports ``no_helmet``
belt      95 → 140    belt drive B1: vibration 2 → 6 mm/s and bearing 55 → 88 degC together
roof      100 → 145   roof pressure at face 1101 rises 24 → 34 MPa while the shearer's
                      vibration climbs to 9.5 mm/s
========  ==========  =====================================================================

All four are over by :data:`TIMELINE_S` (150 s). Each scenario records when its hazard became
real in the simulated ground truth (``triggered``), so alert latency can be measured, and names
the alerts that belong to it (``SCENARIOS``): the combined rule that detects it and the
threshold rules its readings legitimately trip on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from mineguard.services.simulator.people import Walker
from mineguard.services.simulator.sensors import SensorField
from mineguard.services.twin.graph import ZoneGraph

TIMELINE_S = 150.0
CAMERA_RANGE_M = 40.0
DANGER_NEAR_M = 50.0  # must match the no-helmet rule's danger.approach limit


@dataclass(frozen=True)
class ScenarioSpec:
    id: str
    title: str
    rule_id: str  # the combined rule that detects it
    related: tuple[tuple[str, str], ...]  # (rule id, zone) of other alerts that belong to it


SCENARIOS: tuple[ScenarioSpec, ...] = (
    ScenarioSpec(
        "gas",
        "Gas build-up with booster fan F2 stopped",
        "gas-rising-fan-stopped",
        (
            ("methane.working_face", "face_1101"),
            ("methane.airway", "return_airway"),
            ("risk.methane", "face_1101"),
            ("risk.methane", "return_airway"),
        ),
    ),
    ScenarioSpec("helmet", "Worker without a helmet approaching face 1101", "no-helmet-danger-zone", ()),
    ScenarioSpec(
        "belt",
        "Belt drive B1 fault: vibration and bearing temperature",
        "belt-drive-fault",
        (("vibration.roadway", "belt_roadway"), ("co.roadway", "belt_roadway"), ("risk.vibration", "belt_roadway")),
    ),
    ScenarioSpec(
        "roof",
        "Roof pressure rising with vibration at face 1101",
        "roof-pressure-vibration",
        (
            ("roof_pressure.working_face", "face_1101"),
            ("vibration.working_face", "face_1101"),  # the shearer's own vibration sensor
            ("risk.roof_pressure", "face_1101"),
        ),
    ),
)


def scenario_of(rule_id: str, zone_id: str | None) -> str | None:
    """The scenario an alert (rule, zone) belongs to, if any."""
    for spec in SCENARIOS:
        if rule_id == spec.rule_id or (rule_id, zone_id) in spec.related:
            return spec.id
    return None


def _ramp(t: float, start: float, end: float, height: float) -> float:
    return float(np.clip((t - start) / (end - start), 0.0, 1.0)) * height


@dataclass
class ScenarioScript:
    """Applies the timeline to the sensor field and the walkers, one simulated step at a time."""

    sensors: SensorField
    graph: ZoneGraph
    walkers: dict[str, Walker]
    cameras: dict[str, tuple[str, np.ndarray]]  # camera id -> (zone id, position)
    seed: int = 0
    triggered: dict[str, float] = field(default_factory=dict)  # scenario id -> sim time the hazard became real
    _rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed + 7)

    def apply(self, sim_t: float, now: datetime) -> list[dict]:
        """Set the machines and offsets for ``sim_t``; returns the camera events of this step, each a
        wire payload of ``mineguard.services.ingest.events`` exactly as a camera detector posts it."""
        st = self.sensors.state
        # (a) gas build-up: fan F2 stops at 8 s, restarts at 83 s
        st.fan_f2_running = not (8.0 <= sim_t < 83.0)
        if not st.fan_f2_running and st.methane["face_1101"] > 0.45:
            self.triggered.setdefault("gas", sim_t)
        # (c) belt drive: vibration and bearing temperature rise together from 95 s; stopped for repair at 140 s
        belt = 95.0 <= sim_t < 140.0
        st.offsets["vib-belt-drive"] = _ramp(sim_t, 95.0, 125.0, 4.0) if belt else 0.0
        st.offsets["belt-b1.bearing_temp"] = _ramp(sim_t, 95.0, 125.0, 33.0) if belt else 0.0
        if belt and 2.0 + st.offsets["vib-belt-drive"] >= 4.5 and 55.0 + st.offsets["belt-b1.bearing_temp"] >= 75.0:
            self.triggered.setdefault("belt", sim_t)
        # (d) roof: pressure 24 -> 34 MPa over 100-140 s, shearer vibration 3 -> 9.5 mm/s over 110-125 s
        roof = 100.0 <= sim_t < 145.0
        st.offsets["roof-1101"] = _ramp(sim_t, 100.0, 140.0, 10.0) if roof else 0.0
        st.offsets["shearer-1101.vibration"] = _ramp(sim_t, 110.0, 125.0, 6.5) if roof else 0.0
        if 100.0 <= sim_t < 140.0 and 3.0 + st.offsets["shearer-1101.vibration"] >= 7.1:
            self.triggered.setdefault("roof", sim_t)
        # (b) miner-004 without a helmet, seen by the face-gate camera while walking to face 1101
        events = []
        walker = self.walkers.get("miner-004")
        if walker is not None and "cam-face-gate-1101" in self.cameras:
            zone_id, where = self.cameras["cam-face-gate-1101"]
            pos = walker.position()
            if float(np.linalg.norm(pos - where)) <= CAMERA_RANGE_M:
                x1, y1 = round(float(self._rng.uniform(200, 900)), 1), round(float(self._rng.uniform(150, 300)), 1)
                events.append(
                    {
                        "source": "vision",
                        "label": "no_helmet",
                        "t": now.isoformat(),
                        "device_id": "cam-face-gate-1101",
                        "zone_id": zone_id,
                        "asset_id": "miner-004",
                        "confidence": round(float(self._rng.uniform(0.78, 0.95)), 3),
                        "bbox": [x1, y1, x1 + 90.0, y1 + 260.0],
                        "event_id": f"sim-{now.timestamp() * 1000:.0f}",
                        "attributes": {"detector": "simulated", "frame": int(sim_t)},
                    }
                )
                if self.graph.distance_to("face_1101", *pos) <= DANGER_NEAR_M:
                    self.triggered.setdefault("helmet", sim_t)
        return events
