"""Simulated seismicity of the longwalls: what the site's geophones and seismometers read each interval.

Each longwall (a ``longwall`` of the site's seismic sensors) has a log-activity ``a`` that wanders as an
Ornstein-Uhlenbeck process (time constant ``TAU_S`` = 6 h, stationary sd ``SD`` = 0.9): rock stress that
builds and relaxes over shifts. Over an interval ``dt`` a geophone registers Poisson(``PULSES_PER_S`` *
m * dt) pulses with m = exp(a) times ``CUTTING`` (1.5) while the face is cut, else ``IDLE`` (0.3), each
pulse of lognormal energy (median ``PULSE_J`` J); the seismometer registers Poisson(``BUMPS_PER_S`` *
m^2 * dt) bumps of 10^U(2, 5) J (0 J when none; the largest when several), so bumps come when the
geophones are busy, as the seismic-bumps data show. Readings are in J and counts (``mine.units``).
"""

from __future__ import annotations

import math

import numpy as np

# set so that a shift's totals come near the seismic-bumps shifts' medians (coal-getting: 540 pulses,
# 38 kJ, 1.4 bumps; preparation: 130 pulses, 10 kJ)
TAU_S, SD = 6 * 3600.0, 0.9
PULSES_PER_S, PULSE_J = 0.0125, 40.0
BUMPS_PER_S = 4e-6
CUTTING, IDLE = 1.5, 0.3


class SeismicField:
    """The log-activity of each longwall and the readings it makes; ``step(dt, cutting)`` advances it."""

    def __init__(self, longwalls: list[str], rng: np.random.Generator) -> None:
        self.rng = rng
        self.activity = {lw: float(rng.normal(0.0, SD)) for lw in longwalls}

    def step(self, dt: float) -> None:
        for lw, a in self.activity.items():
            decay = math.exp(-dt / TAU_S)
            self.activity[lw] = a * decay + SD * math.sqrt(1 - decay**2) * float(self.rng.normal())

    def rate(self, longwall: str, cutting: bool) -> float:
        """The activity multiplier m of the module docs."""
        return math.exp(self.activity.get(longwall, 0.0)) * (CUTTING if cutting else IDLE)

    def reading(self, kind: str, longwall: str, dt: float, *, cutting: bool) -> float:
        """One interval's value of a ``geophone_pulses``, ``geophone_energy`` or ``seismic_energy`` sensor."""
        m = self.rate(longwall, cutting)
        if kind == "seismic_energy":
            n = self.rng.poisson(BUMPS_PER_S * m * m * dt)
            return float(10 ** self.rng.uniform(2.0, 5.0, n).max()) if n else 0.0
        pulses = self.rng.poisson(PULSES_PER_S * m * dt)
        if kind == "geophone_pulses":
            return float(pulses)
        return float(self.rng.lognormal(math.log(PULSE_J), 1.0, pulses).sum()) if pulses else 0.0
