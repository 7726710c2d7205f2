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

Sensors mounted on a machine (``asset`` in the site file) read the machine: its run state
(``running``: 1 or 0, no noise), a bearing temperature (degC) and a shearer's vibration (mm/s,
high while it cuts); the pipeline turns them into ``<machine>.<kind>`` signals. Scenario offsets
of machine channels are keyed ``<machine>.<kind>`` (``belt-b1.bearing_temp``).
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
SHEARER_VIBRATION: tuple[float, float, float] = (3.0, 0.3, 0.2)  # mm/s cutting, idle, noise std
F2_FAN = "fan-f2"  # the machine whose run state is ``MineState.fan_f2_running``


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
    offsets: dict[str, float] = field(default_factory=dict)  # device id or ``<machine>.<kind>`` -> added value

    def offset(self, key: str) -> float:
        return self.offsets.get(key, 0.0)

    def running(self, machine: str, zone_id: str | None) -> bool:
        """Fan F2 as the scenario sets it, a face's shearer while it cuts; other machines run."""
        if machine == F2_FAN:
            return self.fan_f2_running
        return self.shearer_on.get(zone_id or "", True)


class SensorField:
    """All sensors of a site; ``step(dt)`` advances the physics and returns the readings taken."""

    # %/s of methane emitted while the shearer cuts (fan-stopped scale)
    EMISSION: ClassVar[dict[bool, float]] = {True: 0.06, False: 0.0}
    DILUTION: ClassVar[dict[bool, float]] = {True: 0.08, False: 0.04}  # 1/s, fan F2 running / stopped

    def __init__(self, site: SiteConfig, *, seed: int = 0, dropout: float = 0.01, seq0: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.sensors = [d for d in site.devices if d.kind == "sensor"]
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

    def machine_value(self, machine: str, kind: str, zone_id: str | None) -> tuple[float, float] | None:
        """(true value, noise std) of a sensor mounted on ``machine``; None when the kind profiles cover it."""
        st = self.state
        if kind == "running":
            return float(st.running(machine, zone_id)), 0.0
        if kind == "bearing_temp":
            return BEARING_TEMP[0] + st.offset(f"{machine}.bearing_temp"), BEARING_TEMP[1]
        if kind == "vibration" and zone_id in st.shearer_on:  # the shearer of a face
            cutting, idle, noise = SHEARER_VIBRATION
            return (cutting if st.shearer_on[zone_id] else idle) + st.offset(f"{machine}.vibration"), noise
        return None

    def step(self, dt: float = 1.0) -> list[SimReading]:
        self.t += dt
        self._step_methane(dt)
        out = []
        for d in self.sensors:
            kind = d.sensor_kind or ""
            machine = self.machine_value(d.asset, kind, d.zone) if d.asset else None
            if machine is not None:
                level, noise = machine
            else:
                _, noise, drift_step, bound = PROFILES.get(kind, (0.0, 0.01, 0.0, 0.0))
                if kind == "methane":
                    noise, drift_step, bound = METHANE_NOISE
                self.drift[d.id] = float(np.clip(self.drift[d.id] + self.rng.normal(0.0, drift_step), -bound, bound))
                level = self.true_value(d.id, kind, d.zone)
            value = level + (self.rng.normal(0.0, noise) if noise else 0.0)
            self.seq[d.id] += 1
            if self.rng.random() < self.dropout:
                self.dropped += 1
                continue
            out.append(SimReading(d.id, kind, self.seq[d.id], max(float(value), 0.0), d.unit or ""))
        return out


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
