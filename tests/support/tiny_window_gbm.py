"""A tiny real ``window-gbm`` multimodal model for the ``multimodal`` kind, trained in well under a second.

Its synthetic set speaks the platform's sensor kinds: channels ``methane`` (%) and ``temperature`` (degC),
camera labels ``person`` and ``no_helmet``, windows of 6 steps of 10 s (one minute). In gas windows methane
climbs 0.3 → 1.2 % across the window (risk level ``warning``); in normal windows it stays at 0.3 % (``normal``);
temperature is 20 degC throughout. Perfectly separable, so a known answer on a live window of either shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mineguard.warning.multimodal import HAZARDS, RISK_LEVELS, EpisodeInfo, MultimodalSet
from mineguard.warning.window_gbm import WindowGBM

CHANNELS, LABELS, STEPS, STEP_S = ("methane", "temperature"), ("person", "no_helmet"), 6, 10.0
FLAT, CLIMB = 0.3, (0.3, 1.2)  # methane, %


def tiny_set(n_episodes: int = 24, seed: int = 0) -> MultimodalSet:
    rng = np.random.default_rng(seed)
    sensors, vision, texts, present, hazard, risk, episode, infos = [], [], [], [], [], [], [], []
    for e in range(n_episodes):
        gas = e % 2 == 1
        infos.append(EpisodeInfo(e, "gas" if gas else "none", 0.0 if gas else None, None, 600.0, e))
        for w in range(8):
            x = np.empty((STEPS, len(CHANNELS)))
            x[:, 0] = np.linspace(*CLIMB, STEPS) if gas else FLAT
            x[:, 1] = 20.0
            x += rng.normal(0, 0.01, x.shape)
            sensors.append(x)
            vision.append(rng.poisson(0.3, (STEPS, len(LABELS))))
            texts.append("gas" if w % 2 else "")
            present.append([True, True, bool(w % 2)])
            hazard.append(HAZARDS.index("gas") if gas else 0)
            risk.append(RISK_LEVELS.index("warning") if gas else 0)
            episode.append(e)
    n = len(hazard)
    return MultimodalSet(
        np.asarray(sensors, np.float32),
        np.asarray(vision, np.float32),
        tuple(texts),
        np.asarray(present),
        np.asarray(hazard),
        np.asarray(risk),
        np.asarray(episode),
        np.tile(np.arange(8) * 60.0, n // 8),
        CHANNELS,
        LABELS,
        STEP_S,
        300.0,
        tuple(infos),
    )


def text_vectors(data: MultimodalSet) -> np.ndarray:
    """A 3-dim stand-in embedding: [1, i mod 3 / 10, 0] for a text, zeros for none."""
    return np.array([[1.0, (i % 3) / 10, 0.0] if t else [0.0] * 3 for i, t in enumerate(data.texts)], np.float32)


def tiny_window_gbm(*, alarm_threshold: float = 0.5) -> WindowGBM:
    data = tiny_set()
    model = WindowGBM(text_components=1, n_estimators=20, min_child_samples=3, early_stopping_rounds=5)
    model.fit(data, text_vectors(data))
    model.metrics = {"alarm_threshold": alarm_threshold, "episodes": 24}
    return model


def window_gbm_file(folder: Path, name: str = "window_gbm.json", **kw) -> Path:
    return tiny_window_gbm(**kw).save(folder / name)
