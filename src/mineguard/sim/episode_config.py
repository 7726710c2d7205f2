"""The multimodal episodes' channels, alarm limits and generator settings (see :mod:`.episodes`).

Owns what every other part of the episode generator reads: the nine sensor channels and four vision
labels, each channel's alarm limit and normal level (:func:`alarm_limits`: the lowest regulation
level for a ``working_face``), the risk fractions that grade the labels, every knob of the
generator (:class:`EpisodeConfig`), and the channels' noise/drift profiles and the methane
equilibrium of the simulator's ODE.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from mineguard.mine.rules.regulation import defaults_for
from mineguard.sim.sensors import AMBIENT_CH4, BEARING_TEMP, METHANE_NOISE, PROFILES, methane_rate
from mineguard.warning.multimodal import HAZARDS

CHANNELS: tuple[str, ...] = (
    "methane",
    "co",
    "o2",
    "temperature",
    "wind_speed",
    "dust",
    "roof_pressure",
    "vibration",
    "bearing_temp",
)
VISION_LABELS: tuple[str, ...] = ("person", "no_helmet", "smoke", "fire")
ZONE_KIND = "working_face"  # the zone kind whose regulation limits apply
RISK_FRACTIONS: tuple[float, float, float] = (0.4, 0.7, 1.0)  # elevated, warning, alarm: way from normal to limit
BEARING_LIMIT_C = 75.0  # belt-drive bearing alarm (the belt-drive-fault rule); no regulation value
CAMERA_RANGE_M = 40.0  # a camera sees a person this close (as the sample site's scenario file)
DANGER_NEAR_M = 50.0  # a person this close to a danger zone is approaching it (the no-helmet rule's limit)
CHANNEL_INDEX = {name: i for i, name in enumerate(CHANNELS)}
VISION_INDEX = {name: i for i, name in enumerate(VISION_LABELS)}


@dataclass(frozen=True)
class ChannelLimit:
    """A channel's alarm limit (``op`` ``>=`` a maximum, ``<=`` a minimum) and its normal level."""

    channel: str
    op: str
    value: float
    normal: float
    source: str

    @property
    def span(self) -> float:
        """Signed distance from normal to the limit (negative for a minimum)."""
        return self.value - self.normal


@dataclass(frozen=True)
class EpisodeConfig:
    """Every knob of the generator (times in seconds; ``p_*`` probabilities per episode)."""

    duration_s: float = 1800.0
    window_steps: int = 60
    step_s: float = 5.0
    stride_s: float = 30.0
    horizon_s: float = 300.0
    hazard_mix: tuple[float, ...] = (0.4, 0.12, 0.12, 0.12, 0.12, 0.12)  # share of episodes, order of HAZARDS
    onset_s: tuple[float, float] = (300.0, 1320.0)
    p_sensor_outage: float = 0.1
    p_camera_blind: float = 0.1
    p_camera_outage: float = 0.1
    p_no_text: float = 0.3
    p_match: float = 0.6
    text_per_hour: float = 2.0
    p_dropout: float = 0.01
    glitches_per_hour: float = 1.0
    p_drift_fault: float = 0.15
    p_fan_stop_idle: float = 0.3
    false_events_per_hour: float = 1.0
    rearm_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("duration_s", "step_s", "stride_s", "horizon_s"):
            value = getattr(self, name)
            if value <= 0 or value != int(value):
                raise ValueError(f"{name} must be a positive whole number of seconds, got {value}")
        if self.stride_s % self.step_s or self.duration_s % self.step_s:
            raise ValueError(
                f"stride_s ({self.stride_s}) and duration_s ({self.duration_s}) must be multiples "
                f"of step_s ({self.step_s})"
            )
        if self.window_steps < 1 or self.window_steps * self.step_s > self.duration_s:
            raise ValueError(f"window_steps x step_s ({self.window_steps} x {self.step_s} s) must fit in duration_s")
        if len(self.hazard_mix) != len(HAZARDS) or min(self.hazard_mix) < 0 or sum(self.hazard_mix) <= 0:
            raise ValueError(f"hazard_mix must give {len(HAZARDS)} non-negative shares in the order {HAZARDS}")
        if not 0 <= self.onset_s[0] <= self.onset_s[1] <= self.duration_s:
            raise ValueError(f"onset_s must be a (low, high) range inside the episode, got {self.onset_s}")
        for f in fields(self):
            if f.name.startswith("p_") and not 0.0 <= getattr(self, f.name) <= 1.0:
                raise ValueError(f"{f.name} is a probability, got {getattr(self, f.name)}")

    @property
    def seconds(self) -> int:
        """Seconds simulated per episode: the episode and one horizon after it (for the labels)."""
        return int(self.duration_s + self.horizon_s)


def alarm_limits() -> tuple[ChannelLimit, ...]:
    """Per channel of :data:`CHANNELS`: the lowest-severity default level for a ``working_face``."""
    levels = channel_profiles()[:, 0]
    out = []
    for i, channel in enumerate(CHANNELS):
        if channel == "bearing_temp":
            source = "ENGINEERING DEFAULT: belt-drive bearing alarm of the belt-drive-fault rule"
            out.append(ChannelLimit(channel, ">=", BEARING_LIMIT_C, float(levels[i]), source))
            continue
        rows = defaults_for(channel, ZONE_KIND, op="<=" if channel == "o2" else ">=")
        out.append(ChannelLimit(channel, rows[0].op, rows[0].value, float(levels[i]), rows[0].source))
    return tuple(out)


def channel_profiles() -> np.ndarray:
    """(S, 4): normal level, noise std, drift step std and drift bound per channel, in its units."""
    rows = []
    for channel in CHANNELS:
        if channel == "methane":
            rows.append((float(methane_equilibrium(True, True, 1.0)), *METHANE_NOISE))
        elif channel == "bearing_temp":
            rows.append((*BEARING_TEMP, 0.01, 0.5))  # drift: ours, the telemetry has none
        else:
            rows.append(PROFILES[channel])
    return np.array(rows)


def methane_equilibrium(cutting: np.ndarray | bool, fan: np.ndarray | bool, m: np.ndarray | float) -> np.ndarray:
    """Where ``methane_rate`` is zero (the ODE is linear in the level)."""
    at_ambient = methane_rate(AMBIENT_CH4, cutting=cutting, ventilated=fan, emission_scale=m)
    above = methane_rate(AMBIENT_CH4 + 1.0, cutting=cutting, ventilated=fan, emission_scale=m)
    return AMBIENT_CH4 + at_ambient / (at_ambient - above)
