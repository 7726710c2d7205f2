"""Believable sensor dynamics for a simulated site, stepped in (simulated) seconds.

The physical state is a few numbers driven by the machines (the scenario file's ``world``): methane
at each working face in ``world.cutting`` is emitted while the face is cut (its shearer runs) and
diluted towards the ambient level (0.2-0.4 %) by the airflow, which collapses at a face when a fan
that ventilates it (``world.ventilation``) stops::

    dCH4/dt = E(cutting) - k(fan) * (CH4 - ambient)

(fan running: k = 0.08 /s, so a cutting face sits near 0.35 %; fan stopped: k = 0.04 /s and a
cutting face climbs ~0.03 %/s towards ~1.8 %). Methane elsewhere is the faces' mixed, diluted
air; wind drops where a fan stands or ventilates while it is stopped; dust is high where a face is
cut. The other kinds are a level plus a slow random walk (sensor drift, bounded), Gaussian noise
and scenario offsets. A ``running`` sensor reads its machine's state (1 running, 0 stopped); a
sensor mounted on a stopped machine reads its ``stopped`` level when the scenario file gives one.
Each sensor has its own ``seq`` counter; a reading is now and then lost (a dropout: ``seq`` still
advances, so the gap is visible). Values are in the units of the site file.

A geophone or seismometer (a sensor with a ``longwall``) reads what the longwall's simulated seismicity
registered in the step (``sim/seismic.py``), more while the face is cut.

The levels per sensor kind below are generic physics; what belongs to one device (a shearer's
vibration level) is in the scenario file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from mineguard.mine.site import SiteConfig
from mineguard.mine.units import from_canonical
from mineguard.sim.script import World
from mineguard.sim.seismic import SeismicField

AMBIENT_CH4 = 0.3  # % vol in the intake air
VENTILATED_EMISSION = 0.067  # share of a cutting face's emission left in its air while the fan runs
METHANE_NOISE: tuple[float, float, float] = (0.008, 0.0005, 0.02)  # noise std, drift step std, drift bound (% vol)
WIND_FAN_STOPPED = 0.6  # m/s where a stopped fan stands or draws the air
DUST_SHEARER_OFF = 0.6  # mg/m3 at a face that is not cut
BEARING_TEMP: tuple[float, float] = (55.0, 0.3)  # degC level and noise std of a healthy drive bearing


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
    "bearing_temp": (*BEARING_TEMP, 0.0, 0.0),
}
RUNNING_KIND = "running"  # a machine's state: 1 running, 0 stopped


@dataclass
class MineState:
    """What drives the sensors; scenarios change it."""

    running: dict[str, bool]  # machine asset id -> running
    methane: dict[str, float]  # working face (zone id) -> % vol
    offsets: dict[str, float] = field(default_factory=dict)  # sensor id -> added true value

    def offset(self, key: str) -> float:
        return self.offsets.get(key, 0.0)


class SensorField:
    """All sensors of a site; ``step(dt)`` advances the physics and returns the readings taken."""

    # %/s of methane emitted while the face is cut (fan-stopped scale)
    EMISSION: ClassVar[dict[bool, float]] = {True: 0.06, False: 0.0}
    DILUTION: ClassVar[dict[bool, float]] = {True: 0.08, False: 0.04}  # 1/s, its fans running / stopped

    def __init__(
        self, site: SiteConfig, world: World | None = None, *, seed: int = 0, dropout: float = 0.01, seq0: int = 0
    ) -> None:
        world = world or World()
        self.rng = np.random.default_rng(seed)
        self.sensors = [d for d in site.devices if d.kind == "sensor"]
        self.by_id = {d.id: d for d in self.sensors}
        self.levels = world.sensors
        self.cut_by = {cut.zone: cut.machine for cut in world.cutting}
        self.fans_of: dict[str, list[str]] = {}  # zone -> the fans that ventilate it or stand in it
        machine_zone = {a.id: a.zone for a in site.assets if a.kind == "machine"}
        for fan in world.ventilation:
            for zone in {*fan.zones, machine_zone.get(fan.fan)} - {None}:
                self.fans_of.setdefault(zone, []).append(fan.fan)
        start = float(AMBIENT_CH4 + methane_rate(AMBIENT_CH4, cutting=True, ventilated=True) / self.DILUTION[True])
        self.state = MineState({a: True for a in machine_zone}, {zone: start for zone in self.cut_by})
        self.dropout = dropout
        self.seq = {d.id: seq0 for d in self.sensors}
        self.drift = {d.id: 0.0 for d in self.sensors}
        self.t = 0.0
        self.dropped = 0
        # the longwalls' seismicity (sim/seismic.py), read by the site's geophones and seismometers
        # (its own generator: the other sensors' draws stay as they were without seismic sensors)
        longwalls = sorted({d.longwall for d in self.sensors if d.longwall})
        self.seismic = SeismicField(longwalls, np.random.default_rng([seed, 1]))

    # --- physics -------------------------------------------------------------------------------

    def cutting(self, zone_id: str | None) -> bool:
        """The face is cut: it is a face of ``world.cutting`` and its machine (if named) runs."""
        if zone_id not in self.cut_by:
            return False
        machine = self.cut_by[zone_id]
        return machine is None or self.state.running.get(machine, False)

    def ventilated(self, zone_id: str | None) -> bool:
        """Every fan that ventilates the zone (or stands in it) runs."""
        return all(self.state.running.get(fan, False) for fan in self.fans_of.get(zone_id or "", ()))

    def _step_methane(self, dt: float) -> None:
        for face, level in self.state.methane.items():
            rate = methane_rate(level, cutting=self.cutting(face), ventilated=self.ventilated(face))
            self.state.methane[face] = level + dt * float(rate)

    def _base(self, device, kind: str) -> float:
        st, zone_id = self.state, device.zone
        override = self.levels.get(device.id)
        if device.asset in st.running and not st.running[device.asset] and override and override.stopped is not None:
            return override.stopped
        if override is not None and override.level is not None:
            return override.level
        if kind == "methane":
            if zone_id in st.methane:
                return st.methane[zone_id]
            faces = list(st.methane.values()) or [AMBIENT_CH4]  # elsewhere: the faces' mixed, diluted air
            return 0.25 + 0.4 * (float(np.mean(faces)) - AMBIENT_CH4)
        if kind == "wind_speed":
            return PROFILES[kind][0] if self.ventilated(zone_id) else WIND_FAN_STOPPED
        if kind == "dust":
            return PROFILES[kind][0] if self.cutting(zone_id) else DUST_SHEARER_OFF
        return PROFILES.get(kind, (0.0,))[0]

    def true_value(self, device_id: str) -> float:
        """The noise-free value a sensor would see now (drift and scenario offsets included)."""
        device = self.by_id[device_id]
        kind = device.sensor_kind or ""
        if kind == RUNNING_KIND:
            return float(self.state.running.get(device.asset or "", True))
        return self._base(device, kind) + self.drift[device_id] + self.state.offset(device_id)

    def step(self, dt: float = 1.0) -> list[SimReading]:
        self.t += dt
        self._step_methane(dt)
        self.seismic.step(dt)
        out = []
        for d in self.sensors:
            kind = d.sensor_kind or ""
            if d.longwall is not None:  # a seismic sensor: what its interval registered, no drift or noise
                self.seq[d.id] += 1
                value = self.seismic.reading(kind, d.longwall, dt, cutting=self.cutting(d.longwall))
                out.append(SimReading(d.id, kind, self.seq[d.id], value, d.unit or ""))
                continue
            _, noise, drift_step, bound = PROFILES.get(kind, (0.0, 0.01, 0.0, 0.0))
            if kind == "methane":
                noise, drift_step, bound = METHANE_NOISE
            if kind == RUNNING_KIND:
                noise = 0.0
            elif (override := self.levels.get(d.id)) is not None and override.noise is not None:
                noise = override.noise
            self.drift[d.id] = float(np.clip(self.drift[d.id] + self.rng.normal(0.0, drift_step), -bound, bound))
            value = self.true_value(d.id) + (self.rng.normal(0.0, noise) if noise else 0.0)
            self.seq[d.id] += 1
            if self.rng.random() < self.dropout:
                self.dropped += 1
                continue
            sent = from_canonical(kind, max(float(value), 0.0), d.unit) if d.unit else max(float(value), 0.0)
            out.append(SimReading(d.id, kind, self.seq[d.id], sent, d.unit or ""))
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
    ``emission_scale`` multiplies the emission (1.0: the demo's seam).
    """
    emission = np.where(cutting, SensorField.EMISSION[True], SensorField.EMISSION[False])
    emission = emission * np.where(ventilated, VENTILATED_EMISSION, 1.0) * emission_scale
    dilution = np.where(ventilated, SensorField.DILUTION[True], SensorField.DILUTION[False])
    return emission - dilution * (level - AMBIENT_CH4)
