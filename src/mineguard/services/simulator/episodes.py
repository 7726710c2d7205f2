"""SIMULATED multimodal episodes for the early-warning set (issue #6, seed 003 §3.1-3.2, §4).

Everything here is generated. No mine produced these numbers: the physics is the platform demo
simulator's (:mod:`.sensors`), stretched into 30-minute episodes and randomised; only the text
strings are real (MSHA narratives the caller passes in). Results measured on this set are results
on simulated data and must say so.

**The zone.** One episode is one longwall working face district, modelled on face 1101 of the
sample mine with its headgate belt drive and face camera, over ``duration_s`` seconds. Physics is
stepped at 1 s; every second each of the nine channels (:data:`CHANNELS`, units as the simulator:
methane %, co ppm, o2 %, temperature degC, wind_speed m/s, dust mg/m3, roof_pressure MPa, vibration
mm/s, bearing_temp degC) gives one reading: the true value plus the simulator's bounded drift
random walk and Gaussian noise (``PROFILES``), lost with probability ``p_dropout`` (the simulator's
1 % dropout). Methane follows the simulator's ODE ``dCH4/dt = a * (m*E(shearer) - k(fan)*(CH4 -
0.3))`` (:func:`.sensors.methane_rate`), with two per-episode factors: ``m`` the seam's emission
(log-uniform 0.3-1.5) and ``a`` the face's volume relative to the demo's compressed face (log-
uniform 0.02-0.3: the demo's 25 s time constant becomes 80-1250 s). Wind is 2.6 m/s with the fan
running and 0.6 with it stopped; dust 1.8 mg/m3 while the shearer cuts and 0.6 when it does not.
The shearer cuts in stretches of 4-15 min with 1-6 min stops (15 % of episodes add a 10-25 min
stop); the methane monitor cuts its power for the rest of the episode at 1.5 % (断电, 表18).

**Episode kinds** (``hazard_mix``, default 40 % none, 12 % each other; onset uniform in ``onset_s``,
default 5-22 min). For the four sensor hazards the size is a severity ``s`` (log-uniform 0.6-3.0,
in units of the channel's distance from normal to its alarm limit, so ``s < 1`` never alarms) and
a rise time (log-uniform 3-30 min) with an accelerating ramp ``((t - onset) / rise) ** p``,
``p`` uniform 1-2; slow or mild ones never trip the rule inside the episode.

- ``gas``: booster fan stops at the onset (restarted 10-30 min later) while the shearer cuts;
  wind drops at once, methane climbs by the ODE (toward ``0.3 + 1.5 m`` %, i.e. 0.75-2.55 %).
- ``fire``: smouldering coal: CO rises (``s``), temperature follows 0-4 min later (``s`` x 0.5-1.2)
  and O2 dips slightly (``s`` x 0.1-0.4 of the 0.8 % way to 20 %); the camera sees ``smoke`` once CO
  is 20-50 % of the way to its limit and ``fire`` once the temperature is 70-120 % of the way
  (each detected in 20-60 % of the seconds).
- ``belt``: belt-drive fault: vibration (``s`` x 0.8-1.2) and bearing temperature (``s`` x 0.8-1.2,
  0-2 min behind) rise together.
- ``roof``: roof weighting: roof pressure rises (``s`` x 0.8-1.2), vibration 0-5 min behind
  (``s`` x 0.4-1.0).
- ``ppe``: from the onset a person without a helmet walks (0.84-1.5 m/s) from 150-300 m toward the
  danger zone; 30 % stop 60-140 m short and turn back. The zone camera (10-40 m out, range 40 m,
  as in :mod:`.scenarios`) sees them in 50-90 % of the seconds in view; 60-95 % of those give a
  ``no_helmet`` event with confidence uniform 0.3-0.95. Sensors stay normal.
- ``none``: normal work, with the hard negatives below.

**Hard negatives** (every kind; the label stays what the hazard says): shearer stops (dust and
methane low); in non-gas episodes with ``p_fan_stop_idle`` a 0.5-3 min fan stop while the shearer
is NOT cutting (wind drops, methane does not climb); sensor glitches (``glitches_per_hour``: one
channel, 1-10 s, 0.2-1.3 of its way to the limit, so about a quarter cross it); a calibration drift
(``p_drift_fault``: one channel creeping 0.2-0.6 of its way to the limit); camera false positives
(``false_events_per_hour``: a 1-3 s burst of ``no_helmet`` on a helmeted passer-by, confidence
0.2-0.6, half of them inside the danger distance, or of ``smoke`` from dust or steam). People walk
past the camera in every episode (4-20 an hour, in view 15-60 s, detected in 85 % of the seconds).

**Vision** is the per-step count of camera events of each label (:data:`VISION_LABELS`), including
the low-confidence ones; the model never sees a confidence. **Text** is the zone's newest text
record: with probability ``1 - p_no_text`` one is already attached at the start, background ones
arrive at ``text_per_hour``; a background record comes from a uniformly chosen hazard's list
(``none`` included). Every episode also gets one record at a random time in ``[onset - 120, onset +
180]`` s (a pseudo-onset for ``none``): in a hazard episode it comes from that hazard's list with
probability ``p_match``, else from another list; in a ``none`` episode it is a background record.
So text is a noisy hint, never the label, and its arrival alone says nothing.

**Absence.** A sensor outage (``p_sensor_outage``: all channels lost for 2-15 min) and a camera
blind spot (``p_camera_blind``: the whole episode) or outage (``p_camera_outage``: 2-15 min). A
window's sensors are present when its last step has a reading, its vision when the camera is live
at its end, its text when a record exists; an absent modality is all NaN / zeros / "". Earlier
steps of a present window can still be NaN (dropouts, an outage ending) or zero (camera offline).

**Windows and labels.** Windows end every ``stride_s`` from the first full window and hold the last
``window_steps`` steps of ``step_s`` (the mean of that step's 1 s readings, NaN when all were lost).
``hazard`` is the episode's hazard once the window end reaches the onset, else ``none``. ``risk``
is the worst TRUE (noise-, drift- and glitch-free) state in ``(t, t + horizon_s]``: per channel the
fraction ``f = (value - normal) / (limit - normal)`` of the way from its normal level to its alarm
limit (:func:`alarm_limits`: the lowest regulation level of :func:`defaults_for` for a
``working_face``, and 75 degC for the bearing as in :mod:`.scenarios`); ``f >= 1`` is ``alarm``,
``>= 0.7`` ``warning``, ``>= 0.4`` ``elevated`` (:data:`RISK_FRACTIONS`). For ppe ``f = (200 m -
d) / (200 m - 50 m)`` with ``d`` the no-helmet person's distance to the danger zone, so ``alarm``
is inside ``DANGER_NEAR_M``. Physics runs ``horizon_s`` past the end so the last windows' labels
are complete. A window up to ``horizon_s`` before the onset can already carry a raised ``risk``
while its ``hazard`` is still ``none``; nothing in the data foretells an onset (a fan stop, a
person setting off), so those windows bound what any model can reach.

**The rule baseline** (:class:`SimulatedEpisodes`) is the platform's threshold rule on the
OBSERVED readings: an alarm starts at a reading past a channel's alarm limit, or at a ``no_helmet``
event with confidence >= 0.5 while its person is inside 50 m; a new alarm needs the condition
clear for ``rearm_s`` first. ``EpisodeInfo.rule_alarm_s`` is the first alarm at or after the onset
(from the start in a ``none`` episode; a glitch after the onset counts, as it would on the
platform); every alarm time is kept so false alarms per day can be
counted (:meth:`SimulatedEpisodes.rule_false_alarms_per_day`).

**Unrealistic, knowingly.** One zone with every channel; hazards never co-occur; ramps are smooth
and monotone (no intermittent faults, no spread between zones); noise is Gaussian and
independent; camera events are coin flips per second, not a detector on frames; the person
moves in one dimension; all drift is bounded; texts are MSHA (US metal and coal) narratives
standing in for a Chinese coal mine's shift logs, with no timestamps or wording tied to the
episode; the power trip uses the true methane; the rates and ranges are ours, not measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mineguard.services.rules.regulation import Severity, defaults_for
from mineguard.services.simulator.people import WALK_MPS
from mineguard.services.simulator.scenarios import CAMERA_RANGE_M, DANGER_NEAR_M
from mineguard.services.simulator.sensors import (
    AMBIENT_CH4,
    BEARING_TEMP,
    DUST_SHEARER_OFF,
    METHANE_NOISE,
    PROFILES,
    WIND_FAN_STOPPED,
    methane_rate,
)
from mineguard.warning.multimodal import HAZARDS, MODALITIES, EpisodeInfo, MultimodalSet

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
BEARING_LIMIT_C = 75.0  # belt-drive bearing alarm (scenarios.py / the belt-drive-fault rule); no regulation value
PPE_FAR_M = 200.0  # a no-helmet person this far from the danger zone is at risk fraction 0
RULE_MIN_CONFIDENCE = 0.5  # the lowest no_helmet confidence the rule baseline acts on
SEVERITY = (0.6, 3.0)  # log-uniform, in units of a channel's distance from normal to its limit
RISE_S = (180.0, 1800.0)  # log-uniform ramp length
_C = {name: i for i, name in enumerate(CHANNELS)}
_V = {name: i for i, name in enumerate(VISION_LABELS)}
_CHUNK = 32  # episodes simulated together (the 1 s loops run over time, vectorised over episodes)


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


@dataclass(frozen=True)
class SimulatedEpisodes:
    """The set plus the threshold-rule baseline: every rule alarm time (s) of each episode, by id."""

    data: MultimodalSet
    rule_alarms_s: dict[int, tuple[float, ...]]
    limits: tuple[ChannelLimit, ...]

    def rule_false_alarms_per_day(self) -> float:
        """Rule alarms in normal time (``none`` episodes, and before the onset) per day of normal time."""
        count, seconds = 0, 0.0
        for e in self.data.episodes:
            normal_s = e.duration_s if e.onset_s is None else e.onset_s
            count += sum(t < normal_s for t in self.rule_alarms_s[e.id])
            seconds += normal_s
        return count / seconds * 86400.0 if seconds else 0.0


def alarm_limits() -> tuple[ChannelLimit, ...]:
    """Per channel of :data:`CHANNELS`: the lowest-severity default level for a ``working_face``."""
    levels = _channel_profiles()[:, 0]
    out = []
    for i, channel in enumerate(CHANNELS):
        if channel == "bearing_temp":
            source = "ENGINEERING DEFAULT: belt-drive bearing alarm of scenarios.py and the belt-drive-fault rule"
            out.append(ChannelLimit(channel, ">=", BEARING_LIMIT_C, float(levels[i]), source))
            continue
        rows = defaults_for(channel, ZONE_KIND, op="<=" if channel == "o2" else ">=")
        out.append(ChannelLimit(channel, rows[0].op, rows[0].value, float(levels[i]), rows[0].source))
    return tuple(out)


def build_multimodal_set(
    n_episodes: int, *, seed: int = 0, narratives: Mapping[str, Sequence[str]], **options: object
) -> MultimodalSet:
    """``n_episodes`` simulated episodes cut into windows (deterministic for ``seed``).

    ``narratives`` maps every name in ``HAZARDS`` to its text records; ``options`` are fields of
    :class:`EpisodeConfig` (``duration_s``, ``window_steps``, ``step_s``, ``stride_s``,
    ``horizon_s``, ``p_sensor_outage``, ``p_camera_blind``, ``p_no_text``, ``p_match``, ...).
    """
    return build_multimodal_set_with_rule(n_episodes, seed=seed, narratives=narratives, **options).data


def build_multimodal_set_with_rule(
    n_episodes: int, *, seed: int = 0, narratives: Mapping[str, Sequence[str]], **options: object
) -> SimulatedEpisodes:
    """As :func:`build_multimodal_set`, plus every threshold-rule alarm per episode."""
    names = {f.name for f in fields(EpisodeConfig)}
    if unknown := sorted(set(options) - names):
        raise TypeError(f"unknown option(s) {unknown}; the options are the fields of EpisodeConfig: {sorted(names)}")
    if n_episodes < 0 or seed < 0:
        raise ValueError(f"n_episodes and seed must be >= 0, got {n_episodes} and {seed}")
    cfg = EpisodeConfig(**options)  # type: ignore[arg-type]
    texts = _check_narratives(narratives)
    limits = alarm_limits()
    hazards = _assign_hazards(n_episodes, cfg.hazard_mix, np.random.default_rng(seed))
    chunks, infos, alarms = [], [], {}
    for start in range(0, n_episodes, _CHUNK):
        ids = range(start, min(start + _CHUNK, n_episodes))
        plans = [_plan_episode(i, int(hazards[i]), _episode_seed(seed, i), cfg, texts, limits) for i in ids]
        arrays, rule = _simulate(plans, cfg, limits)
        chunks.append(arrays)
        for plan, times in zip(plans, rule, strict=True):
            after = [t for t in times if plan.onset_s is None or t >= plan.onset_s]
            infos.append(
                EpisodeInfo(
                    plan.id, HAZARDS[plan.hazard], plan.onset_s, after[0] if after else None, cfg.duration_s, plan.seed
                )
            )
            alarms[plan.id] = times
    data = _assemble(chunks, cfg, tuple(infos))
    return SimulatedEpisodes(data, alarms, limits)


# --- one episode's plan: machines, hazard, faults, camera and text, drawn from its own seed -------


@dataclass
class _Plan:
    id: int
    hazard: int
    onset_s: float | None
    seed: int
    cutting: np.ndarray  # (T,) bool, the shearer's schedule (the methane monitor may still cut its power)
    fan: np.ndarray  # (T,) bool, booster fan running
    emission_scale: float  # m
    time_scale: float  # a
    offsets: np.ndarray  # (T, S) true change from the normal level (the hazard)
    error: np.ndarray  # (T, S) observed only: noise, glitches, drift fault (the bounded drift walk comes later)
    drift_steps: np.ndarray  # (T, S)
    lost: np.ndarray  # (T, S) bool, reading lost (dropout or outage)
    camera_live: np.ndarray  # (T,) bool
    events: np.ndarray  # (T, V) camera events per second
    rule_vision: np.ndarray  # (T,) bool, a no_helmet event the rule acts on
    ppe_fraction: np.ndarray  # (T,) risk fraction of the no-helmet person's approach
    text_t: np.ndarray  # (R,) record times, sorted
    texts: tuple[str, ...]  # (R,)


def _plan_episode(
    i: int,
    hazard: int,
    seed: int,
    cfg: EpisodeConfig,
    narratives: tuple[tuple[str, ...], ...],
    limits: tuple[ChannelLimit, ...],
) -> _Plan:
    rng = np.random.default_rng(seed)
    n, s, v = cfg.seconds, len(CHANNELS), len(VISION_LABELS)
    t = np.arange(1, n + 1, dtype=float)  # reading k is taken at t[k] seconds
    onset = float(rng.uniform(*cfg.onset_s))  # a pseudo-onset in "none" episodes (text timing only)
    plan = _Plan(
        i,
        hazard,
        onset if hazard else None,
        seed,
        _shearer_schedule(rng, n),
        np.ones(n, bool),
        _loguniform(rng, 0.3, 1.5),
        _loguniform(rng, 0.02, 0.3),
        np.zeros((n, s)),
        np.zeros((n, s)),
        np.zeros((n, s)),
        np.zeros((n, s), bool),
        np.ones(n, bool),
        np.zeros((n, v), np.int64),
        np.zeros(n, bool),
        np.zeros(n),
        np.zeros(0),
        (),
    )
    spans = np.array([lim.span for lim in limits])
    _camera_coverage(plan, rng, t, cfg)
    _HAZARD_KINDS[HAZARDS[hazard]](plan, rng, t, onset, spans)
    if HAZARDS[hazard] != "gas" and rng.random() < cfg.p_fan_stop_idle:
        start, length = rng.uniform(120.0, max(cfg.duration_s - 300.0, 120.0)), rng.uniform(30.0, 180.0)
        plan.fan[(t >= start) & (t < start + length)] = False
        plan.cutting[(t >= start - 60.0) & (t < start + length + 120.0)] = False
    _passers_by(plan, rng, cfg)
    _sensor_faults(plan, rng, t, cfg, spans)
    plan.events[~plan.camera_live] = 0
    plan.rule_vision &= plan.camera_live
    plan.text_t, plan.texts = _text_records(rng, hazard, onset, cfg, narratives)
    return plan


def _shearer_schedule(rng: np.random.Generator, n: int) -> np.ndarray:
    cutting, k, on = np.zeros(n, bool), -int(rng.uniform(0.0, 900.0)), bool(rng.random() < 0.75)
    while k < n:
        length = int(rng.uniform(240.0, 900.0) if on else rng.uniform(60.0, 360.0))
        cutting[max(k, 0) : max(k + length, 0)] = on
        k, on = k + length, not on
    if rng.random() < 0.15:  # a long stop: maintenance, a support move, a broken pick
        start = int(rng.uniform(0.0, n))
        cutting[start : start + int(rng.uniform(600.0, 1500.0))] = False
    return cutting


def _gas(plan: _Plan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    restart = onset + rng.uniform(600.0, 1800.0)
    plan.fan[(t >= onset) & (t < restart)] = False
    plan.cutting[t >= onset] = True


def _fire(plan: _Plan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    severity, rise, power = _loguniform(rng, *SEVERITY), _loguniform(rng, *RISE_S), rng.uniform(1.0, 2.0)
    heat = _ramp(t, onset + rng.uniform(0.0, 240.0), rise, power)
    plan.offsets[:, _C["co"]] = severity * rng.uniform(0.9, 1.1) * spans[_C["co"]] * _ramp(t, onset, rise, power)
    plan.offsets[:, _C["temperature"]] = severity * rng.uniform(0.5, 1.2) * spans[_C["temperature"]] * heat
    plan.offsets[:, _C["o2"]] = severity * rng.uniform(0.1, 0.4) * spans[_C["o2"]] * heat
    smoke = plan.offsets[:, _C["co"]] >= rng.uniform(0.2, 0.5) * spans[_C["co"]]
    flame = plan.offsets[:, _C["temperature"]] >= rng.uniform(0.7, 1.2) * spans[_C["temperature"]]
    plan.events[:, _V["smoke"]] += smoke & (rng.random(len(t)) < rng.uniform(0.2, 0.6))
    plan.events[:, _V["fire"]] += flame & (rng.random(len(t)) < rng.uniform(0.2, 0.6))


def _belt(plan: _Plan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    severity, rise, power = _loguniform(rng, *SEVERITY), _loguniform(rng, *RISE_S), rng.uniform(1.0, 2.0)
    plan.offsets[:, _C["vibration"]] = (
        severity * rng.uniform(0.8, 1.2) * spans[_C["vibration"]] * _ramp(t, onset, rise, power)
    )
    plan.offsets[:, _C["bearing_temp"]] = (
        severity
        * rng.uniform(0.8, 1.2)
        * spans[_C["bearing_temp"]]
        * _ramp(t, onset + rng.uniform(0.0, 120.0), rise, power)
    )


def _roof(plan: _Plan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    severity, rise, power = _loguniform(rng, *SEVERITY), _loguniform(rng, *RISE_S), rng.uniform(1.0, 2.0)
    plan.offsets[:, _C["roof_pressure"]] = (
        severity * rng.uniform(0.8, 1.2) * spans[_C["roof_pressure"]] * _ramp(t, onset, rise, power)
    )
    plan.offsets[:, _C["vibration"]] = (
        severity
        * rng.uniform(0.4, 1.0)
        * spans[_C["vibration"]]
        * _ramp(t, onset + rng.uniform(0.0, 300.0), rise, power)
    )


def _ppe(plan: _Plan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    start_m, speed = rng.uniform(150.0, 300.0), WALK_MPS * rng.uniform(0.7, 1.25)
    turn_m = rng.uniform(60.0, 140.0) if rng.random() < 0.3 else 0.0  # 0: walks into the face and stays
    walked, leg = np.maximum(t - onset, 0.0) * speed, start_m - turn_m
    d = np.where(walked <= leg, start_m - walked, turn_m + (walked - leg) * (turn_m > 0))
    d = np.where((t < onset) | (d > start_m), np.inf, d)  # not there before the onset, gone once back out
    plan.ppe_fraction = np.maximum((PPE_FAR_M - d) / (PPE_FAR_M - DANGER_NEAR_M), 0.0)
    in_view = np.abs(d - rng.uniform(10.0, 40.0)) <= CAMERA_RANGE_M
    person = in_view & (rng.random(len(t)) < rng.uniform(0.5, 0.9))
    no_helmet = person & (rng.random(len(t)) < rng.uniform(0.6, 0.95))
    plan.events[:, _V["person"]] += person
    plan.events[:, _V["no_helmet"]] += no_helmet
    plan.rule_vision |= no_helmet & (rng.uniform(0.3, 0.95, len(t)) >= RULE_MIN_CONFIDENCE) & (d <= DANGER_NEAR_M)


def _none(plan: _Plan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    return None


_HAZARD_KINDS = {"none": _none, "gas": _gas, "fire": _fire, "belt": _belt, "roof": _roof, "ppe": _ppe}


def _camera_coverage(plan: _Plan, rng: np.random.Generator, t: np.ndarray, cfg: EpisodeConfig) -> None:
    if rng.random() < cfg.p_camera_blind:
        plan.camera_live[:] = False
    elif rng.random() < cfg.p_camera_outage:
        start = rng.uniform(0.0, cfg.duration_s)
        plan.camera_live[(t >= start) & (t < start + rng.uniform(120.0, 900.0))] = False


def _passers_by(plan: _Plan, rng: np.random.Generator, cfg: EpisodeConfig) -> None:
    """Helmeted people crossing the camera's view, and the camera's false positives."""
    n = len(plan.camera_live)
    for _ in range(rng.poisson(rng.uniform(4.0, 20.0) * n / 3600.0)):
        a = int(rng.uniform(0.0, n))
        b = min(a + int(rng.uniform(15.0, 60.0)), n)
        plan.events[a:b, _V["person"]] += rng.random(b - a) < 0.85
    seen = np.flatnonzero(plan.events[:, _V["person"]])
    for _ in range(rng.poisson(cfg.false_events_per_hour * n / 3600.0)):
        burst = int(rng.integers(1, 4))
        if rng.random() < 0.5 and seen.size:  # a helmeted passer-by classed no_helmet
            k = int(rng.choice(seen))
            plan.events[k : k + burst, _V["no_helmet"]] += 1
            if rng.uniform(0.2, 0.6) >= RULE_MIN_CONFIDENCE and rng.random() < 0.5:  # inside the danger distance
                plan.rule_vision[k : k + burst] = True
        else:  # dust, steam or lamp glare classed smoke
            k = int(rng.integers(0, n))
            plan.events[k : k + burst, _V["smoke"]] += 1


def _sensor_faults(plan: _Plan, rng: np.random.Generator, t: np.ndarray, cfg: EpisodeConfig, spans: np.ndarray) -> None:
    n, s = plan.error.shape
    profiles = _channel_profiles()
    plan.error = rng.standard_normal((n, s)) * profiles[:, 1]
    plan.drift_steps = rng.standard_normal((n, s)) * profiles[:, 2]
    for _ in range(rng.poisson(cfg.glitches_per_hour * n / 3600.0)):
        c, k, length = int(rng.integers(s)), int(rng.integers(n)), int(rng.integers(1, 11))
        plan.error[k : k + length, c] += rng.uniform(0.2, 1.3) * spans[c]
    if rng.random() < cfg.p_drift_fault:
        c, start = int(rng.integers(s)), rng.uniform(0.0, cfg.duration_s / 2)
        plan.error[:, c] += rng.uniform(0.2, 0.6) * spans[c] * np.clip((t - start) / (n - start), 0.0, 1.0)
    plan.lost = rng.random((n, s)) < cfg.p_dropout
    if rng.random() < cfg.p_sensor_outage:
        start = rng.uniform(0.0, cfg.duration_s)
        plan.lost[(t >= start) & (t < start + rng.uniform(120.0, 900.0))] = True


def _text_records(
    rng: np.random.Generator, hazard: int, onset: float, cfg: EpisodeConfig, narratives: tuple[tuple[str, ...], ...]
) -> tuple[np.ndarray, tuple[str, ...]]:
    def pick(h: int) -> str:
        return narratives[h][int(rng.integers(len(narratives[h])))]

    def background() -> str:
        return pick(int(rng.integers(len(HAZARDS))))

    records = [(0.0, background())] if rng.random() >= cfg.p_no_text else []
    records += [
        (float(rng.uniform(0.0, cfg.duration_s)), background())
        for _ in range(rng.poisson(cfg.text_per_hour * cfg.duration_s / 3600.0))
    ]
    when = float(np.clip(onset + rng.uniform(-120.0, 180.0), 0.0, cfg.duration_s))
    if not hazard:
        text = background()
    elif rng.random() < cfg.p_match:
        text = pick(hazard)
    else:
        text = pick(int(rng.choice([h for h in range(len(HAZARDS)) if h != hazard])))
    records = sorted([*records, (when, text)], key=lambda r: r[0])
    return np.array([r[0] for r in records]), tuple(r[1] for r in records)


# --- physics over a chunk of episodes, then windows and labels -------------------------------------


def _simulate(
    plans: list[_Plan], cfg: EpisodeConfig, limits: tuple[ChannelLimit, ...]
) -> tuple[dict[str, object], list[tuple[float, ...]]]:
    """Step the plans' physics at 1 s; their windows and labels, and each one's rule alarm times."""
    e, n = len(plans), cfg.seconds
    profiles = _channel_profiles()
    cut, fan = np.stack([p.cutting for p in plans]), np.stack([p.fan for p in plans])
    m, a = np.array([p.emission_scale for p in plans]), np.array([p.time_scale for p in plans])
    steps = np.stack([p.drift_steps for p in plans])
    power_off = next(x.value for x in defaults_for("methane", ZONE_KIND) if x.level == Severity.CRITICAL)
    methane, cutting, drift = np.empty((e, n)), np.empty((e, n), bool), np.empty((e, n, len(CHANNELS)))
    level, tripped = _methane_equilibrium(cut[:, 0], fan[:, 0], m), np.zeros(e, bool)
    walk = np.zeros((e, len(CHANNELS)))  # the sensors' bounded drift
    for k in range(n):  # 1 s steps, the simulator's ODE scaled by the face's time scale a
        c = cut[:, k] & ~tripped
        level = level + a * methane_rate(level, cutting=c, ventilated=fan[:, k], emission_scale=m)
        tripped |= level >= power_off
        methane[:, k], cutting[:, k] = level, c
        walk = np.clip(walk + steps[:, k], -profiles[:, 3], profiles[:, 3])
        drift[:, k] = walk
    true = profiles[:, 0] + np.stack([p.offsets for p in plans])
    true[..., _C["methane"]] = methane
    true[..., _C["wind_speed"]] += np.where(fan, 0.0, WIND_FAN_STOPPED - PROFILES["wind_speed"][0])
    true[..., _C["dust"]] += np.where(cutting, 0.0, DUST_SHEARER_OFF - PROFILES["dust"][0])
    observed = np.maximum(true + drift + np.stack([p.error for p in plans]), 0.0)
    observed[np.stack([p.lost for p in plans])] = np.nan
    value, normal = np.array([x.value for x in limits]), np.array([x.normal for x in limits])
    fraction = np.maximum(((true - normal) / (value - normal)).max(-1), np.stack([p.ppe_fraction for p in plans]))
    risk_s = (fraction[..., None] >= np.array(RISK_FRACTIONS)).sum(-1)
    ge = np.array([x.op == ">=" for x in limits])
    with np.errstate(invalid="ignore"):
        breach = np.where(ge, observed >= value, observed <= value).any(-1)
    breach |= np.stack([p.rule_vision for p in plans])
    rule = [_alarm_starts(row[: int(cfg.duration_s)], cfg.rearm_s) for row in breach]
    return _windows(plans, cfg, observed, risk_s), rule


def _windows(plans: list[_Plan], cfg: EpisodeConfig, observed: np.ndarray, risk_s: np.ndarray) -> dict[str, object]:
    """``observed`` (E, seconds, S) readings, NaN = lost; ``risk_s`` (E, seconds) per-second true risk level."""
    e, step, w = len(plans), int(cfg.step_s), cfg.window_steps
    n_steps = int(cfg.duration_s) // step
    per_step = observed[:, : n_steps * step].reshape(e, n_steps, step, -1)
    count = (~np.isnan(per_step)).sum(2)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(per_step, axis=2) / count  # 0/0 -> NaN: every reading of the step lost
    events = np.stack([p.events for p in plans])[:, : n_steps * step].reshape(e, n_steps, step, -1).sum(2)
    ends = np.arange(w, n_steps + 1, int(cfg.stride_s) // step)  # in steps
    t_end = ends * step
    take = ends[:, None] - w + np.arange(w)
    sensors, vision = mean[:, take], events[:, take].astype(np.float32)  # (E, n_win, W, .)
    has_sensors = ~np.isnan(sensors[:, :, -1]).all(-1)
    has_vision = np.stack([p.camera_live[t_end - 1] for p in plans])
    sensors[~has_sensors], vision[~has_vision] = np.nan, 0.0
    texts = []
    for p in plans:
        newest = np.searchsorted(p.text_t, t_end, side="right") - 1
        texts += [p.texts[i] if i >= 0 else "" for i in newest]
    risk = sliding_window_view(risk_s, int(cfg.horizon_s), axis=1)[:, t_end].max(-1)
    onset = np.array([np.inf if p.onset_s is None else p.onset_s for p in plans])
    hazard = np.where(t_end >= onset[:, None], np.array([p.hazard for p in plans])[:, None], 0)
    has_text = np.array([bool(x) for x in texts]).reshape(e, -1)
    return {
        "sensors": sensors.reshape(-1, w, len(CHANNELS)).astype(np.float32),
        "vision": vision.reshape(-1, w, len(VISION_LABELS)),
        "texts": texts,
        "present": np.stack([has_sensors, has_vision, has_text], -1).reshape(-1, len(MODALITIES)),
        "hazard": hazard.reshape(-1),
        "risk": risk.reshape(-1).astype(np.int64),
        "episode": np.repeat([p.id for p in plans], len(ends)),
        "t_s": np.tile(t_end.astype(float), e),
    }


def _assemble(chunks: list[dict[str, object]], cfg: EpisodeConfig, infos: tuple[EpisodeInfo, ...]) -> MultimodalSet:
    def cat(key: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([c[key] for c in chunks]) if chunks else empty  # type: ignore[misc]

    w, s, v = cfg.window_steps, len(CHANNELS), len(VISION_LABELS)
    return MultimodalSet(
        cat("sensors", np.zeros((0, w, s), np.float32)),
        cat("vision", np.zeros((0, w, v), np.float32)),
        tuple(x for c in chunks for x in c["texts"]),  # type: ignore[attr-defined]
        cat("present", np.zeros((0, len(MODALITIES)), bool)),
        cat("hazard", np.zeros(0, np.int64)).astype(np.int64),
        cat("risk", np.zeros(0, np.int64)),
        cat("episode", np.zeros(0, np.int64)).astype(np.int64),
        cat("t_s", np.zeros(0)),
        CHANNELS,
        VISION_LABELS,
        cfg.step_s,
        cfg.horizon_s,
        infos,
    )


# --- small pieces ----------------------------------------------------------------------------------


def _channel_profiles() -> np.ndarray:
    """(S, 4): normal level, noise std, drift step std and drift bound per channel, in its units."""
    rows = []
    for channel in CHANNELS:
        if channel == "methane":
            rows.append((float(_methane_equilibrium(True, True, 1.0)), *METHANE_NOISE))
        elif channel == "bearing_temp":
            rows.append((*BEARING_TEMP, 0.01, 0.5))  # drift: ours, the telemetry has none
        else:
            rows.append(PROFILES[channel])
    return np.array(rows)


def _methane_equilibrium(cutting: np.ndarray | bool, fan: np.ndarray | bool, m: np.ndarray | float) -> np.ndarray:
    """Where ``methane_rate`` is zero (the ODE is linear in the level)."""
    at_ambient = methane_rate(AMBIENT_CH4, cutting=cutting, ventilated=fan, emission_scale=m)
    above = methane_rate(AMBIENT_CH4 + 1.0, cutting=cutting, ventilated=fan, emission_scale=m)
    return AMBIENT_CH4 + at_ambient / (at_ambient - above)


def _alarm_starts(condition: np.ndarray, rearm_s: float) -> tuple[float, ...]:
    """Times (s) a rule alarm starts: the condition holds after being clear ``rearm_s`` or more."""
    k = np.flatnonzero(condition)
    if not k.size:
        return ()
    starts = k[np.concatenate(([True], np.diff(k) > rearm_s))]
    return tuple(float(x + 1) for x in starts)


def _ramp(t: np.ndarray, start: float, rise_s: float, power: float) -> np.ndarray:
    return np.clip((t - start) / rise_s, 0.0, 1.0) ** power


def _loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _episode_seed(seed: int, i: int) -> int:
    return int(np.random.SeedSequence([seed, i]).generate_state(1)[0])


def _assign_hazards(n: int, mix: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """Hazard index per episode: ``mix`` shares rounded by largest remainder, then shuffled."""
    quota = n * np.asarray(mix, float) / sum(mix)
    counts = np.floor(quota).astype(int)
    counts[np.argsort(-(quota - counts), kind="stable")[: n - counts.sum()]] += 1
    hazards = np.repeat(np.arange(len(HAZARDS)), counts)
    rng.shuffle(hazards)
    return hazards


def _check_narratives(narratives: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    if bad := [h for h, texts in narratives.items() if isinstance(texts, str)]:
        raise ValueError(f"narratives[{bad[0]!r}] is one string; give a list of text records")
    missing = [h for h in HAZARDS if not [s for s in narratives.get(h, ()) if s]]
    if missing:
        raise ValueError(
            f"narratives needs non-empty text lists for every hazard; missing or empty: {missing} "
            f"(keys must be {HAZARDS})"
        )
    return tuple(tuple(s for s in narratives[h] if s) for h in HAZARDS)
