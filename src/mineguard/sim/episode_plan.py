"""One simulated episode's plan, drawn from its own seed (see :mod:`.episodes` for every assumption).

Owns what happens in an episode before any physics is stepped: the shearer's schedule, the booster
fan, the hazard (``gas``, ``fire``, ``belt``, ``roof``, ``ppe`` or ``none``) as true offsets from
normal, the hard negatives (idle fan stops, passers-by, camera false positives, sensor glitches,
calibration drift, dropouts, outages), the camera's coverage and events, and the text records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from mineguard.sim.episode_config import (
    CAMERA_RANGE_M,
    CHANNEL_INDEX,
    CHANNELS,
    DANGER_NEAR_M,
    VISION_INDEX,
    VISION_LABELS,
    ChannelLimit,
    EpisodeConfig,
    channel_profiles,
)
from mineguard.sim.script import WALK_MPS
from mineguard.warning.multimodal import HAZARDS

PPE_FAR_M = 200.0  # a no-helmet person this far from the danger zone is at risk fraction 0
RULE_MIN_CONFIDENCE = 0.5  # the lowest no_helmet confidence the rule baseline acts on
SEVERITY = (0.6, 3.0)  # log-uniform, in units of a channel's distance from normal to its limit
RISE_S = (180.0, 1800.0)  # log-uniform ramp length


@dataclass
class EpisodePlan:
    """One episode's draws, per second (``T`` = ``EpisodeConfig.seconds``, ``S`` channels, ``V`` labels)."""

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


def plan_episode(
    i: int,
    hazard: int,
    seed: int,
    cfg: EpisodeConfig,
    narratives: tuple[tuple[str, ...], ...],
    limits: tuple[ChannelLimit, ...],
) -> EpisodePlan:
    rng = np.random.default_rng(seed)
    n, s, v = cfg.seconds, len(CHANNELS), len(VISION_LABELS)
    t = np.arange(1, n + 1, dtype=float)  # reading k is taken at t[k] seconds
    onset = float(rng.uniform(*cfg.onset_s))  # a pseudo-onset in "none" episodes (text timing only)
    plan = EpisodePlan(
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


def _gas(plan: EpisodePlan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    restart = onset + rng.uniform(600.0, 1800.0)
    plan.fan[(t >= onset) & (t < restart)] = False
    plan.cutting[t >= onset] = True


def _fire(plan: EpisodePlan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    severity, rise, power = _loguniform(rng, *SEVERITY), _loguniform(rng, *RISE_S), rng.uniform(1.0, 2.0)
    heat = _ramp(t, onset + rng.uniform(0.0, 240.0), rise, power)
    plan.offsets[:, CHANNEL_INDEX["co"]] = (
        severity * rng.uniform(0.9, 1.1) * spans[CHANNEL_INDEX["co"]] * _ramp(t, onset, rise, power)
    )
    plan.offsets[:, CHANNEL_INDEX["temperature"]] = (
        severity * rng.uniform(0.5, 1.2) * spans[CHANNEL_INDEX["temperature"]] * heat
    )
    plan.offsets[:, CHANNEL_INDEX["o2"]] = severity * rng.uniform(0.1, 0.4) * spans[CHANNEL_INDEX["o2"]] * heat
    smoke = plan.offsets[:, CHANNEL_INDEX["co"]] >= rng.uniform(0.2, 0.5) * spans[CHANNEL_INDEX["co"]]
    flame = plan.offsets[:, CHANNEL_INDEX["temperature"]] >= rng.uniform(0.7, 1.2) * spans[CHANNEL_INDEX["temperature"]]
    plan.events[:, VISION_INDEX["smoke"]] += smoke & (rng.random(len(t)) < rng.uniform(0.2, 0.6))
    plan.events[:, VISION_INDEX["fire"]] += flame & (rng.random(len(t)) < rng.uniform(0.2, 0.6))


def _paired_ramp(
    plan: EpisodePlan,
    rng: np.random.Generator,
    t: np.ndarray,
    onset: float,
    spans: np.ndarray,
    *,
    lead: str,
    follow: str,
    follow_scale: tuple[float, float],
    follow_delay_s: float,
) -> None:
    """One fault seen on two channels: ``lead`` ramps from the onset, ``follow`` (scaled by
    ``follow_scale`` of the severity) up to ``follow_delay_s`` later, with the same rise and shape."""
    severity, rise, power = _loguniform(rng, *SEVERITY), _loguniform(rng, *RISE_S), rng.uniform(1.0, 2.0)
    first, second = CHANNEL_INDEX[lead], CHANNEL_INDEX[follow]
    plan.offsets[:, first] = severity * rng.uniform(0.8, 1.2) * spans[first] * _ramp(t, onset, rise, power)
    scale = rng.uniform(*follow_scale)
    plan.offsets[:, second] = (
        severity * scale * spans[second] * _ramp(t, onset + rng.uniform(0.0, follow_delay_s), rise, power)
    )


_belt = partial(_paired_ramp, lead="vibration", follow="bearing_temp", follow_scale=(0.8, 1.2), follow_delay_s=120.0)
_roof = partial(_paired_ramp, lead="roof_pressure", follow="vibration", follow_scale=(0.4, 1.0), follow_delay_s=300.0)


def _ppe(plan: EpisodePlan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    start_m, speed = rng.uniform(150.0, 300.0), WALK_MPS * rng.uniform(0.7, 1.25)
    turn_m = rng.uniform(60.0, 140.0) if rng.random() < 0.3 else 0.0  # 0: walks into the face and stays
    walked, leg = np.maximum(t - onset, 0.0) * speed, start_m - turn_m
    d = np.where(walked <= leg, start_m - walked, turn_m + (walked - leg) * (turn_m > 0))
    d = np.where((t < onset) | (d > start_m), np.inf, d)  # not there before the onset, gone once back out
    plan.ppe_fraction = np.maximum((PPE_FAR_M - d) / (PPE_FAR_M - DANGER_NEAR_M), 0.0)
    in_view = np.abs(d - rng.uniform(10.0, 40.0)) <= CAMERA_RANGE_M
    person = in_view & (rng.random(len(t)) < rng.uniform(0.5, 0.9))
    no_helmet = person & (rng.random(len(t)) < rng.uniform(0.6, 0.95))
    plan.events[:, VISION_INDEX["person"]] += person
    plan.events[:, VISION_INDEX["no_helmet"]] += no_helmet
    plan.rule_vision |= no_helmet & (rng.uniform(0.3, 0.95, len(t)) >= RULE_MIN_CONFIDENCE) & (d <= DANGER_NEAR_M)


def _none(plan: EpisodePlan, rng: np.random.Generator, t: np.ndarray, onset: float, spans: np.ndarray) -> None:
    return None


_HAZARD_KINDS = {"none": _none, "gas": _gas, "fire": _fire, "belt": _belt, "roof": _roof, "ppe": _ppe}


def _camera_coverage(plan: EpisodePlan, rng: np.random.Generator, t: np.ndarray, cfg: EpisodeConfig) -> None:
    if rng.random() < cfg.p_camera_blind:
        plan.camera_live[:] = False
    elif rng.random() < cfg.p_camera_outage:
        start = rng.uniform(0.0, cfg.duration_s)
        plan.camera_live[(t >= start) & (t < start + rng.uniform(120.0, 900.0))] = False


def _passers_by(plan: EpisodePlan, rng: np.random.Generator, cfg: EpisodeConfig) -> None:
    """Helmeted people crossing the camera's view, and the camera's false positives."""
    n = len(plan.camera_live)
    for _ in range(rng.poisson(rng.uniform(4.0, 20.0) * n / 3600.0)):
        a = int(rng.uniform(0.0, n))
        b = min(a + int(rng.uniform(15.0, 60.0)), n)
        plan.events[a:b, VISION_INDEX["person"]] += rng.random(b - a) < 0.85
    seen = np.flatnonzero(plan.events[:, VISION_INDEX["person"]])
    for _ in range(rng.poisson(cfg.false_events_per_hour * n / 3600.0)):
        burst = int(rng.integers(1, 4))
        if rng.random() < 0.5 and seen.size:  # a helmeted passer-by classed no_helmet
            k = int(rng.choice(seen))
            plan.events[k : k + burst, VISION_INDEX["no_helmet"]] += 1
            if rng.uniform(0.2, 0.6) >= RULE_MIN_CONFIDENCE and rng.random() < 0.5:  # inside the danger distance
                plan.rule_vision[k : k + burst] = True
        else:  # dust, steam or lamp glare classed smoke
            k = int(rng.integers(0, n))
            plan.events[k : k + burst, VISION_INDEX["smoke"]] += 1


def _sensor_faults(
    plan: EpisodePlan, rng: np.random.Generator, t: np.ndarray, cfg: EpisodeConfig, spans: np.ndarray
) -> None:
    n, s = plan.error.shape
    profiles = channel_profiles()
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


def _ramp(t: np.ndarray, start: float, rise_s: float, power: float) -> np.ndarray:
    return np.clip((t - start) / rise_s, 0.0, 1.0) ** power


def _loguniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))
