"""Physics of a chunk of planned episodes, then windows, labels and the threshold rule's alarms.

Owns the 1 s stepping (the simulator's methane ODE scaled per face, the sensors' bounded drift,
noise and lost readings), the cut into windows with their ``hazard`` and ``risk`` labels, the rule
baseline's alarm times on the OBSERVED readings, and the assembly of the chunks into one
``MultimodalSet`` (see :mod:`.episodes` for every assumption).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mineguard.mine.rules.regulation import Severity, defaults_for
from mineguard.sim.episode_config import (
    CHANNEL_INDEX,
    CHANNELS,
    RISK_FRACTIONS,
    VISION_LABELS,
    ZONE_KIND,
    ChannelLimit,
    EpisodeConfig,
    channel_profiles,
    methane_equilibrium,
)
from mineguard.sim.episode_plan import EpisodePlan
from mineguard.sim.sensors import DUST_SHEARER_OFF, PROFILES, WIND_FAN_STOPPED, methane_rate
from mineguard.warning.multimodal import MODALITIES, EpisodeInfo, MultimodalSet


def simulate(
    plans: list[EpisodePlan], cfg: EpisodeConfig, limits: tuple[ChannelLimit, ...]
) -> tuple[dict[str, object], list[tuple[float, ...]]]:
    """Step the plans' physics at 1 s; their windows and labels, and each one's rule alarm times."""
    e, n = len(plans), cfg.seconds
    profiles = channel_profiles()
    cut, fan = np.stack([p.cutting for p in plans]), np.stack([p.fan for p in plans])
    m, a = np.array([p.emission_scale for p in plans]), np.array([p.time_scale for p in plans])
    steps = np.stack([p.drift_steps for p in plans])
    power_off = next(x.value for x in defaults_for("methane", ZONE_KIND) if x.level == Severity.CRITICAL)
    methane, cutting, drift = np.empty((e, n)), np.empty((e, n), bool), np.empty((e, n, len(CHANNELS)))
    level, tripped = methane_equilibrium(cut[:, 0], fan[:, 0], m), np.zeros(e, bool)
    walk = np.zeros((e, len(CHANNELS)))  # the sensors' bounded drift
    for k in range(n):  # 1 s steps, the simulator's ODE scaled by the face's time scale a
        c = cut[:, k] & ~tripped
        level = level + a * methane_rate(level, cutting=c, ventilated=fan[:, k], emission_scale=m)
        tripped |= level >= power_off
        methane[:, k], cutting[:, k] = level, c
        walk = np.clip(walk + steps[:, k], -profiles[:, 3], profiles[:, 3])
        drift[:, k] = walk
    true = profiles[:, 0] + np.stack([p.offsets for p in plans])
    true[..., CHANNEL_INDEX["methane"]] = methane
    true[..., CHANNEL_INDEX["wind_speed"]] += np.where(fan, 0.0, WIND_FAN_STOPPED - PROFILES["wind_speed"][0])
    true[..., CHANNEL_INDEX["dust"]] += np.where(cutting, 0.0, DUST_SHEARER_OFF - PROFILES["dust"][0])
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


def _windows(
    plans: list[EpisodePlan], cfg: EpisodeConfig, observed: np.ndarray, risk_s: np.ndarray
) -> dict[str, object]:
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


def assemble_set(chunks: list[dict[str, object]], cfg: EpisodeConfig, infos: tuple[EpisodeInfo, ...]) -> MultimodalSet:
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


def _alarm_starts(condition: np.ndarray, rearm_s: float) -> tuple[float, ...]:
    """Times (s) a rule alarm starts: the condition holds after being clear ``rearm_s`` or more."""
    k = np.flatnonzero(condition)
    if not k.size:
        return ()
    starts = k[np.concatenate(([True], np.diff(k) > rearm_s))]
    return tuple(float(x + 1) for x in starts)
