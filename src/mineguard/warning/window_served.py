"""The multimodal early-warning model the service serves: ``window-gbm`` on one zone's live window.

The service (``services/alerts/fusion_job.py``) builds, per zone, a :class:`LiveWindow` in the input
layout the model was trained on (``WindowGBM.layout_``: its ``channels``, ``vision_labels``,
``window_steps`` and ``step_s``) and asks for a :class:`FusionAssessment`:

- :class:`ServedWindowGBM`: a loaded ``WindowGBM`` (``window_gbm.py``) answering for one window. It
  warns when the most likely risk level within the model's horizon is ``warning`` or ``alarm``, or
  when the probability of any hazard (``1 - P(none)``) reaches its threshold: the ``alarm_threshold``
  ``mineguard warn train multimodal`` stores in the file's metrics (chosen on the validation episodes
  at the threshold rule's false alarms per day), else 0.5; a threshold passed in overrides both;
- :class:`NoFusionModel`: what serves while no version (or a broken one) is active: no answer, so no
  fusion warning — the threshold rules and the risk job keep warning;
- :class:`FallbackFusionModel`: a model whose failing call (raises, NaN or a probability outside
  [0, 1]) is answered by the fall-back and logged (``failures.FailureLog``) for the model-health alert.

The model was trained on SIMULATED episodes (``sim/episodes.py``: one longwall face district with
every channel, synthetic camera events, MSHA narratives as text); on a live zone with fewer sensors
the missing channels are NaN, as a lost stream was in training. Its probabilities are those of a
model of simulated data, not measured on a mine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mineguard.warning.failures import FailureLog, raised
from mineguard.warning.multimodal import HAZARDS, RISK_LEVELS, EpisodeInfo, MultimodalSet
from mineguard.warning.window_gbm import WindowGBM

WARNING_LEVELS = ("warning", "alarm")  # a predicted risk level among these warns
DEFAULT_THRESHOLD = 0.5  # P(any hazard) that warns when the file records no alarm_threshold


@dataclass(frozen=True)
class LiveWindow:
    """One zone's window ending now, in a model's layout.

    ``sensors`` (T, S) in canonical units (``mine/units.py``), NaN where a channel had no reading in a
    step; ``vision`` (T, V) camera events per label and step; ``text`` the newest text record, "" for
    none; ``present`` one flag per modality of ``MODALITIES`` (sensors, vision, text)."""

    sensors: np.ndarray
    vision: np.ndarray
    text: str
    present: tuple[bool, bool, bool]


@dataclass(frozen=True)
class FusionAssessment:
    """What the model says of one window: ``hazard`` the most likely hazard other than none and its
    ``hazard_probability``; ``any_hazard`` = 1 - P(none); ``risk_level`` the most likely level of
    ``RISK_LEVELS`` with every level's probability in ``risk``; ``warn`` (see the module docs)."""

    hazard: str
    hazard_probability: float
    any_hazard: float
    risk_level: str
    risk: dict[str, float]
    threshold: float
    warn: bool
    model: str


@dataclass(frozen=True)
class WindowLayout:
    """The input layout of a served model: channel names (sensor kinds), camera labels, steps, step length."""

    channels: tuple[str, ...]
    vision_labels: tuple[str, ...]
    window_steps: int
    step_s: float

    @property
    def span_s(self) -> float:
        return self.window_steps * self.step_s


class ServedWindowGBM:
    """A loaded ``WindowGBM`` judging one live window at a time (see the module docs)."""

    name = "window-gbm"

    def __init__(self, model: WindowGBM, *, threshold: float | None = None) -> None:
        self.model = model
        layout = model.layout_
        self.layout = WindowLayout(
            tuple(layout["channels"]),
            tuple(layout["vision_labels"]),
            int(layout["window_steps"]),
            float(layout["step_s"]),
        )
        self.text_dim = int(layout["text_dim"])
        recorded = model.metrics.get("alarm_threshold") if isinstance(model.metrics, dict) else None
        self.threshold = float(threshold if threshold is not None else recorded or DEFAULT_THRESHOLD)
        self.training: dict[str, Any] = _numbers(model.metrics)
        if "episodes" in self.training:  # written by `mineguard warn train multimodal`
            seed = f", seed {self.training['seed']:.0f}" if "seed" in self.training else ""
            n = self.training["episodes"]
            self.training["data"] = f"simulated multimodal episodes (sim/episodes.py), {n:.0f} training episodes{seed}"

    def assess(self, window: LiveWindow) -> FusionAssessment:
        data = self._as_set(window)
        vectors = np.zeros((1, self.text_dim), dtype=np.float32)
        if window.text and window.present[2] and self.model.embedder is not None:
            vectors[0] = np.asarray(self.model.embedder.transform([window.text]), dtype=np.float32)[0]
        hazard_p, risk_p = (p[0] for p in self.model.predict_proba(data, vectors))
        return judge(hazard_p, risk_p, threshold=self.threshold, model=self.name)

    def _as_set(self, window: LiveWindow) -> MultimodalSet:
        t, s, v = self.layout.window_steps, len(self.layout.channels), len(self.layout.vision_labels)
        if window.sensors.shape != (t, s) or window.vision.shape != (t, v):
            raise ValueError(
                f"window sensors {window.sensors.shape} / vision {window.vision.shape} do not match the model's "
                f"layout ({t}, {s}) / ({t}, {v})"
            )
        return MultimodalSet(
            window.sensors[None].astype(np.float32),
            window.vision[None].astype(np.float32),
            (window.text,),
            np.array([window.present], dtype=bool),
            np.zeros(1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            np.zeros(1, dtype=np.int64),
            np.zeros(1),
            self.layout.channels,
            self.layout.vision_labels,
            self.layout.step_s,
            0.0,
            (EpisodeInfo(0, "none", None, None, self.layout.span_s, 0),),
        )


def judge(hazard_p: np.ndarray, risk_p: np.ndarray, *, threshold: float, model: str) -> FusionAssessment:
    """The assessment of one window's probabilities (``hazard_p`` over ``HAZARDS``, ``risk_p`` over
    ``RISK_LEVELS``); ValueError when they are not probabilities (NaN, outside [0, 1])."""
    probabilities = np.concatenate([hazard_p, risk_p])
    if not np.isfinite(probabilities).all() or (probabilities < 0).any() or (probabilities > 1).any():
        raise ValueError(f"probabilities {np.round(probabilities, 3).tolist()} are not in [0, 1]")
    best = 1 + int(np.argmax(hazard_p[1:]))  # the most likely hazard other than none
    level = RISK_LEVELS[int(np.argmax(risk_p))]
    any_hazard = float(1.0 - hazard_p[0])
    return FusionAssessment(
        hazard=HAZARDS[best],
        hazard_probability=float(hazard_p[best]),
        any_hazard=any_hazard,
        risk_level=level,
        risk={name: float(p) for name, p in zip(RISK_LEVELS, risk_p, strict=True)},
        threshold=threshold,
        warn=level in WARNING_LEVELS or any_hazard >= threshold,
        model=model,
    )


class NoFusionModel:
    """The fall-back: no fusion warning (the threshold rules and the risk job keep warning)."""

    name = "rules-only"
    layout: WindowLayout | None = None

    def assess(self, window: LiveWindow) -> FusionAssessment | None:
        return None


class FallbackFusionModel:
    """``primary``'s assessment when usable, else ``fallback``'s (none), the failure logged."""

    def __init__(self, primary: Any, fallback: Any) -> None:
        self.primary, self.fallback = primary, fallback
        self.name = primary.name
        self.layout: WindowLayout | None = getattr(primary, "layout", None)
        self.failures = FailureLog()

    def assess(self, window: LiveWindow) -> FusionAssessment | None:
        try:
            return self.primary.assess(window)
        except Exception as exc:  # any failure of the model: no fusion warning, model health says why
            self.failures.add(raised(exc))
        return self.fallback.assess(window)

    def take_failures(self) -> list[str]:
        return self.failures.take()


def load_served_window_gbm(path: Path) -> ServedWindowGBM:
    """The ``window-gbm`` JSON file at ``path``, ready to serve; ValueError naming the file and what is wrong."""
    return ServedWindowGBM(WindowGBM.load(path))


def _numbers(raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in raw.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
    }
