"""SIMULATED multimodal episodes for the early-warning set (issue #6, seed 003 §3.1-3.2, §4).

Everything here is generated. No mine produced these numbers: the physics is the platform demo
simulator's (:mod:`.sensors`), stretched into 30-minute episodes and randomised; only the text
strings are real (MSHA narratives the caller passes in). Results measured on this set are results
on simulated data and must say so.

**The zone.** One episode is one longwall working face district, modelled on face 1101 of the
sample mine with its headgate belt drive and face camera, over ``duration_s`` seconds. Physics is
stepped at 1 s; every second each of the nine channels (:data:`.episode_config.CHANNELS`, units as the simulator:
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

**Vision** is the per-step count of camera events of each label (:data:`.episode_config.VISION_LABELS`), including
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
limit (:func:`.episode_config.alarm_limits`: the lowest regulation level of :func:`defaults_for` for a
``working_face``, and 75 degC for the bearing as in :mod:`.scenarios`); ``f >= 1`` is ``alarm``,
``>= 0.7`` ``warning``, ``>= 0.4`` ``elevated`` (:data:`.episode_config.RISK_FRACTIONS`). For ppe ``f = (200 m -
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

**Modules.** This one owns the entry points (:func:`build_multimodal_set`,
:func:`build_multimodal_set_with_rule`, :class:`SimulatedEpisodes`) and this account of every
assumption; :mod:`.episode_config` the channels, alarm limits and settings
(:class:`~.episode_config.EpisodeConfig`); :mod:`.episode_plan` one episode's plan (machines,
hazard, faults, camera, text); :mod:`.episode_physics` the 1 s physics, windows, labels and the
rule baseline's alarm times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from mineguard.sim.episode_config import ChannelLimit, EpisodeConfig, alarm_limits
from mineguard.sim.episode_physics import assemble_set, simulate
from mineguard.sim.episode_plan import plan_episode
from mineguard.warning.multimodal import HAZARDS, EpisodeInfo, MultimodalSet

_CHUNK = 32  # episodes simulated together (the 1 s loops run over time, vectorised over episodes)


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
        plans = [plan_episode(i, int(hazards[i]), _episode_seed(seed, i), cfg, texts, limits) for i in ids]
        arrays, rule = simulate(plans, cfg, limits)
        chunks.append(arrays)
        for plan, times in zip(plans, rule, strict=True):
            after = [t for t in times if plan.onset_s is None or t >= plan.onset_s]
            infos.append(
                EpisodeInfo(
                    plan.id, HAZARDS[plan.hazard], plan.onset_s, after[0] if after else None, cfg.duration_s, plan.seed
                )
            )
            alarms[plan.id] = times
    data = assemble_set(chunks, cfg, tuple(infos))
    return SimulatedEpisodes(data, alarms, limits)


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
