"""The multimodal early-warning set (seed 003 §3.1-3.2): windows of sensors, camera events and text.

No public dataset joins sensor streams, camera events and text for one mine, so the set is
generated from the platform simulator's physics (``mineguard.sim.episodes``) with
real MSHA narratives as the text modality. Everything measured on it is measured on SIMULATED
data, and says so.

One sample is the view of one zone at one moment (the end of a window):

- ``sensors`` (N, T, S): the last T steps of S sensor channels (``channels``), in sensor units,
  NaN where a reading was lost;
- ``vision`` (N, T, V): per step, the count of camera events of each label (``vision_labels``)
  from the cameras watching the zone;
- ``texts`` (N,): the newest text record attached to the zone (a real MSHA narrative standing in
  for a shift-log or incident note), "" when there is none;
- ``present`` (N, 3) bool: whether each modality (``MODALITIES``) is available at all: a sensor
  outage, a camera blind spot or no text record make a modality absent, and the model must cope;
- ``hazard`` (N,): index into ``HAZARDS`` of the hazard developing in the zone ("none" before the
  onset and in normal episodes);
- ``risk`` (N,): index into ``RISK_LEVELS``, the worst state the zone reaches within the
  forecast horizon (a threshold-rule alarm within the horizon is "alarm");
- ``episode`` (N,) and ``t_s`` (N,): the episode a window belongs to and its end time (seconds
  from the episode start). Splits are by episode, never by window, so nothing leaks.

``episodes`` describes each episode for alarm-level scoring: its hazard, when the hazard became
real (``onset_s``), when the threshold rule first alarmed (``rule_alarm_s``, None if never) and
how long it lasted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mineguard.mine.hazards import HAZARDS as HAZARDS  # the hazard classes: one home, re-exported for the models

MODALITIES: tuple[str, ...] = ("sensors", "vision", "text")
RISK_LEVELS: tuple[str, ...] = ("normal", "elevated", "warning", "alarm")


@dataclass(frozen=True)
class EpisodeInfo:
    id: int
    hazard: str  # a name in HAZARDS; "none" for a normal episode
    onset_s: float | None  # when the hazard became real (None for "none")
    rule_alarm_s: float | None  # first threshold-rule alarm, None if the rule never fired
    duration_s: float
    seed: int


@dataclass(frozen=True)
class MultimodalSet:
    sensors: np.ndarray  # (N, T, S) float32, NaN = lost reading
    vision: np.ndarray  # (N, T, V) float32 counts
    texts: tuple[str, ...]  # (N,)
    present: np.ndarray  # (N, 3) bool, order of MODALITIES
    hazard: np.ndarray  # (N,) int64 index into HAZARDS
    risk: np.ndarray  # (N,) int64 index into RISK_LEVELS
    episode: np.ndarray  # (N,) int64
    t_s: np.ndarray  # (N,) float64, window end, seconds from the episode start
    channels: tuple[str, ...]
    vision_labels: tuple[str, ...]
    step_s: float  # seconds between window steps
    horizon_s: float  # the risk-level horizon
    episodes: tuple[EpisodeInfo, ...]

    def __post_init__(self) -> None:
        n = self.hazard.shape[0]
        if self.sensors.ndim != 3 or self.sensors.shape[0] != n or self.sensors.shape[2] != len(self.channels):
            raise ValueError(f"sensors must be (N={n}, T, S={len(self.channels)}), got {self.sensors.shape}")
        if self.vision.shape[:2] != self.sensors.shape[:2] or self.vision.shape[2] != len(self.vision_labels):
            raise ValueError(
                f"vision must be (N, T, V={len(self.vision_labels)}) like sensors, got {self.vision.shape}"
            )
        if len(self.texts) != n or self.present.shape != (n, len(MODALITIES)):
            raise ValueError(f"texts must have {n} entries and present be ({n}, {len(MODALITIES)})")
        for name in ("risk", "episode", "t_s"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must be ({n},), got {getattr(self, name).shape}")
        if n and (self.hazard.min() < 0 or self.hazard.max() >= len(HAZARDS)):
            raise ValueError(f"hazard indices must be in [0, {len(HAZARDS)})")
        if n and (self.risk.min() < 0 or self.risk.max() >= len(RISK_LEVELS)):
            raise ValueError(f"risk indices must be in [0, {len(RISK_LEVELS)})")

    def __len__(self) -> int:
        return int(self.hazard.shape[0])

    def subset(self, index: np.ndarray) -> MultimodalSet:
        """The samples at ``index`` (bool mask or integer positions); ``episodes`` keeps only theirs."""
        idx = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index, dtype=np.int64)
        kept = set(self.episode[idx].tolist())
        return MultimodalSet(
            self.sensors[idx],
            self.vision[idx],
            tuple(self.texts[i] for i in idx),
            self.present[idx],
            self.hazard[idx],
            self.risk[idx],
            self.episode[idx],
            self.t_s[idx],
            self.channels,
            self.vision_labels,
            self.step_s,
            self.horizon_s,
            tuple(e for e in self.episodes if e.id in kept),
        )

    def split_by_episode(
        self, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), *, seed: int = 0
    ) -> tuple[MultimodalSet, MultimodalSet, MultimodalSet]:
        """Train / val / test with every episode wholly on one side, stratified by the episode's hazard."""
        if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        rng = np.random.default_rng(seed)
        parts: list[list[int]] = [[], [], []]
        for hazard in HAZARDS:
            ids = [e.id for e in self.episodes if e.hazard == hazard]
            rng.shuffle(ids)
            n_train = round(fractions[0] * len(ids))
            n_val = round(fractions[1] * len(ids))
            parts[0] += ids[:n_train]
            parts[1] += ids[n_train : n_train + n_val]
            parts[2] += ids[n_train + n_val :]
        train, val, test = (self.subset(np.isin(self.episode, ids)) for ids in parts)
        return train, val, test
