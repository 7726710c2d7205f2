"""Per-kind defaults for cleansing and health, in the canonical unit of each kind.

``span`` is the *typical measuring span of the instrument* (a low-range catalytic methane head
reads 0..10 % vol), narrower than ``mine.units.PHYSICAL_SPANS`` (what is physically possible).
A value outside the span is not trustworthy as a measurement — the sensor saturated or failed.
All numbers are starting points for a site to tune: pass your own :class:`KindProfile`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindProfile:
    """How a sensor kind normally behaves, canonical units.

    span: (low, high) typical instrument span. min_jump: smallest absolute deviation from the
    local median that can count as a spike (so noise on a flat line never does). fluctuates:
    whether an unchanged value for hours is suspicious. drift_per_hour: slope above which a slow
    trend is called drift. floor_is_normal: a gas reading pinned at the span floor (0 ppm CO in
    clean air) is a real, steady value, not a stuck sensor. discrete: the kind takes a few states
    (a machine's ``running`` 1/0): it is never called a spike or stuck, only out of range or after a gap.
    """

    span: tuple[float, float]
    min_jump: float
    fluctuates: bool = True
    drift_per_hour: float = float("inf")
    floor_is_normal: bool = False
    label: str = ""
    discrete: bool = False


KIND_PROFILES: dict[str, KindProfile] = {
    "methane": KindProfile((0.0, 10.0), 0.1, True, 0.05, True, "methane"),
    "co": KindProfile((0.0, 1000.0), 5.0, True, 5.0, True, "CO"),
    "o2": KindProfile((0.0, 25.0), 0.5, True, 0.1, False, "oxygen"),
    "no2": KindProfile((0.0, 20.0), 0.5, True, 0.5, True, "NO2"),
    "h2s": KindProfile((0.0, 100.0), 2.0, True, 1.0, True, "H2S"),
    "temperature": KindProfile((-20.0, 60.0), 2.0, True, 0.5, False, "temperature"),
    "wind_speed": KindProfile((0.0, 15.0), 1.0, True, 0.2, False, "wind speed"),
    "dust": KindProfile((0.0, 1000.0), 10.0, True, 5.0, True, "dust"),
    "roof_pressure": KindProfile((0.0, 80.0), 2.0, False, 0.5, False, "roof pressure"),
    "vibration": KindProfile((0.0, 100.0), 5.0, True, 1.0, True, "vibration"),
    "humidity": KindProfile((0.0, 100.0), 5.0, True, 2.0, False, "humidity"),
    "bearing_temp": KindProfile((-20.0, 150.0), 5.0, True, 2.0, False, "bearing temperature"),
    # a run signal holds 0 or 1 for hours and jumps between them: never a spike, never stuck or drifting
    "running": KindProfile((0.0, 1.0), 1.0, False, float("inf"), True, "run state", discrete=True),
    # seismic counts and energies per interval are bursts on a zero floor: a burst is the signal, never a spike
    "geophone_energy": KindProfile((0.0, 1e9), 1e3, False, float("inf"), True, "geophone energy", discrete=True),
    "geophone_pulses": KindProfile((0.0, 1e5), 10.0, False, float("inf"), True, "geophone pulses", discrete=True),
    "seismic_energy": KindProfile((0.0, 1e10), 1e3, False, float("inf"), True, "seismic energy", discrete=True),
}


def profile_for(kind: str) -> KindProfile:
    """The default :class:`KindProfile` of ``kind``; raises naming the known kinds."""
    try:
        return KIND_PROFILES[kind]
    except KeyError:
        raise ValueError(
            f"no sensing profile for sensor kind {kind!r} — known kinds: {', '.join(KIND_PROFILES)}; "
            "pass profile=KindProfile(...) for a new kind"
        ) from None
