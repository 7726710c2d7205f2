"""Believable sensor dynamics for the sample mine, stepped in (simulated) seconds.

The physical state is a few numbers driven by the machines: methane at each longwall face is
emitted while its shearer cuts coal and diluted towards the ambient level (0.2-0.4 %) by the
airflow, which collapses at face 1101 when booster fan F2 (its district's fan) stops::

    dCH4/dt = E(shearer) - k(fan) * (CH4 - ambient)

(fan running: k = 0.08 /s, so a cutting face sits near 0.35 %; fan stopped: k = 0.04 /s and a
cutting face climbs ~0.03 %/s towards ~1.8 %). The other kinds are a level plus a slow random
walk (sensor drift, bounded), Gaussian noise and scenario offsets. Each sensor has its own
``seq`` counter; a reading is now and then lost (a dropout: ``seq`` still advances, so the gap is
visible). Values are in the units of the site file.

Two machine telemetry channels that are not site sensors are also produced, as signals for the
rule engine: ``belt-b1.bearing_temp`` (degC, belt-drive bearing) and ``shearer-1101.vibration``
(mm/s, shearer at face 1101).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mineguard.services.twin.site import SiteConfig

AMBIENT_CH4 = 0.3  # % vol in the intake air
F2_FACES = ("face_1101",)  # the faces whose air booster fan F2 draws
VENTILATED_EMISSION = 0.067  # share of a cutting face's emission left in its air while the fan runs
METHANE_NOISE: tuple[float, float, float] = (0.008, 0.0005, 0.02)  # noise std, drift step std, drift bound (% vol)
WIND_FAN_STOPPED = 0.6  # m/s in the return of a district whose booster fan is stopped
DUST_SHEARER_OFF = 0.6  # mg/m3 at a face whose shearer is not cutting
BEARING_TEMP: tuple[float, float] = (55.0, 0.3)  # degC level and noise std of belt drive B1's bearing


@dataclass(frozen=True)
class SimReading:
    """One sensor reading as the wire contract wants it (``t`` is added by the publisher)."""

    device_id: str
    kind: str
    seq: int
    value: float
    unit: str

    def payload(self, t_iso: str) -> dict:
        return {
            "device_id": self.device_id,
            "kind": self.kind,
            "seq": self.seq,
            "t": t_iso,
            "value": round(self.value, 4),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Telemetry:
    """A machine signal for the rule engine (not a site sensor)."""

    key: str
    zone_id: str | None
    value: float | bool


# (level, noise std, drift step std, drift bound) per kind, in the site's units
PROFILES: dict[str, tuple[float, float, float, float]] = {
    "co": (3.0, 0.25, 0.01, 0.5),
    "o2": (20.8, 0.03, 0.002, 0.1),
    "temperature": (23.5, 0.06, 0.01, 0.6),
    "wind_speed": (2.6, 0.06, 0.005, 0.15),
    "dust": (1.8, 0.15, 0.005, 0.3),
    "roof_pressure": (24.0, 0.15, 0.01, 0.5),
    "vibration": (2.0, 0.15, 0.005, 0.2),
}


@dataclass
class MineState:
    """What drives the sensors; scenarios change it."""

    fan_f2_running: bool = True
    shearer_on: dict[str, bool] = field(default_factory=lambda: {"face_1101": True, "face_1102": True})
    methane: dict[str, float] = field(default_factory=lambda: {"face_1101": 0.35, "face_1102": 0.35})
    offsets: dict[str, float] = field(default_factory=dict)  # device id or telemetry key -> added value

    def offset(self, key: str) -> float:
        return self.offsets.get(key, 0.0)


class SensorField:
    """All sensors of a site; ``step(dt)`` advances the physics and returns the readings taken."""

    # %/s of methane emitted while the shearer cuts (fan-stopped scale)
    EMISSION: ClassVar[dict[bool, float]] = {True: 0.06, False: 0.0}
    DILUTION: ClassVar[dict[bool, float]] = {True: 0.08, False: 0.04}  # 1/s, fan F2 running / stopped

    def __init__(self, site: SiteConfig, *, seed: int = 0, dropout: float = 0.01, seq0: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.sensors = [d for d in site.devices if d.kind == "sensor" and d.asset is None]  # machines: telemetry()
        self.state = MineState()
        self.dropout = dropout
        self.seq = {d.id: seq0 for d in self.sensors}
        self.drift = {d.id: 0.0 for d in self.sensors}
        self.t = 0.0
        self.dropped = 0

    # --- physics -------------------------------------------------------------------------------

    def _step_methane(self, dt: float) -> None:
        for face, level in self.state.methane.items():
            ventilated = self.state.fan_f2_running or face not in F2_FACES
            cutting = self.state.shearer_on.get(face, False)
            self.state.methane[face] = level + dt * float(methane_rate(level, cutting=cutting, ventilated=ventilated))

    def true_value(self, device_id: str, kind: str, zone_id: str | None) -> float:
        """The noise-free value a sensor would see now (drift and scenario offsets included)."""
        st = self.state
        if kind == "methane":
            if zone_id in st.methane:
                base = st.methane[zone_id]
            else:  # return airway: mixed, diluted air from both faces
                base = 0.25 + 0.4 * (np.mean(list(st.methane.values())) - AMBIENT_CH4)
        elif kind == "wind_speed":
            base = PROFILES[kind][0] if st.fan_f2_running else WIND_FAN_STOPPED
        elif kind == "dust":
            base = PROFILES[kind][0] if st.shearer_on.get(zone_id or "", False) else DUST_SHEARER_OFF
        else:
            base = PROFILES[kind][0]
        return base + self.drift[device_id] + st.offset(device_id)

    def step(self, dt: float = 1.0) -> list[SimReading]:
        self.t += dt
        self._step_methane(dt)
        out = []
        for d in self.sensors:
            kind = d.sensor_kind or ""
            _, noise, drift_step, bound = PROFILES.get(kind, (0.0, 0.01, 0.0, 0.0))
            if kind == "methane":
                noise, drift_step, bound = METHANE_NOISE
            self.drift[d.id] = float(np.clip(self.drift[d.id] + self.rng.normal(0.0, drift_step), -bound, bound))
            value = self.true_value(d.id, kind, d.zone) + self.rng.normal(0.0, noise)
            self.seq[d.id] += 1
            if self.rng.random() < self.dropout:
                self.dropped += 1
                continue
            out.append(SimReading(d.id, kind, self.seq[d.id], max(float(value), 0.0), d.unit or ""))
        return out

    def telemetry(self) -> list[Telemetry]:
        """Machine signals of this step: fan state, belt bearing temperature, shearer vibration."""
        st = self.state
        bearing = BEARING_TEMP[0] + st.offset("belt-b1.bearing_temp") + self.rng.normal(0.0, BEARING_TEMP[1])
        shearer = (3.0 if st.shearer_on.get("face_1101") else 0.3) + st.offset("shearer-1101.vibration")
        return [
            Telemetry("fan-f2.running", "return_airway", 1.0 if st.fan_f2_running else 0.0),
            Telemetry("belt-b1.bearing_temp", "belt_roadway", round(float(bearing), 2)),
            Telemetry("shearer-1101.vibration", "face_1101", round(float(shearer + self.rng.normal(0.0, 0.2)), 2)),
        ]


def methane_rate(
    level: float | np.ndarray,
    *,
    cutting: bool | np.ndarray,
    ventilated: bool | np.ndarray,
    emission_scale: float | np.ndarray = 1.0,
) -> np.ndarray:
    """dCH4/dt in %/s at a face: ``E(shearer) - k(fan) * (CH4 - ambient)`` (the ODE of the module docstring).

    Element-wise on floats or numpy arrays (``level`` % vol, ``cutting`` / ``ventilated`` bool);
    ``emission_scale`` multiplies the emission (1.0: the sample mine's seam).
    """
    emission = np.where(cutting, SensorField.EMISSION[True], SensorField.EMISSION[False])
    emission = emission * np.where(ventilated, VENTILATED_EMISSION, 1.0) * emission_scale
    dilution = np.where(ventilated, SensorField.DILUTION[True], SensorField.DILUTION[False])
    return emission - dilution * (level - AMBIENT_CH4)
