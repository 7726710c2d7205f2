"""A simple, strong baseline for the multimodal set: gradient boosting on hand-made window summaries.

Per sensor channel: the last reading, window mean / min / max / std, the change over the last
minute and over the whole window, the least-squares slope of the last 2 minutes, and the
fraction of readings observed (NaN where nothing was seen: histogram gradient boosting handles
missing values natively). Per camera label: events in the last minute and in the window. Text:
the first ``text_components`` principal components of the text embedding (fitted on training
rows). Plus the three modality-present flags. One ``HistGradientBoostingClassifier`` per task,
with balanced class weights softened by ``power`` like the fusion model's loss.

If the fusion model cannot beat this, the cross-modal attention is not earning its keep.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier

from mineguard.warning.fusion import class_weights
from mineguard.warning.multimodal import HAZARDS, RISK_LEVELS, MultimodalSet
from mineguard.warning.slope import ols_slope


def _nan_stat(fn, x: np.ndarray, axis: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN, which is what we want
        return fn(x, axis=axis)


def sensor_features(sensors: np.ndarray, step_s: float) -> np.ndarray:
    """(N, T, S) -> (N, 10 * S) summaries (NaN where a channel has no readings in the span)."""
    t = sensors.shape[1]
    minute = max(1, min(round(60.0 / step_s), t - 1))  # short windows: "a minute ago" is the first step
    recent = sensors[:, -max(2, 2 * minute) :]
    slope = ols_slope(np.arange(recent.shape[1], dtype=float), recent, axis=1, nan_policy="omit")  # per step
    last = sensors[:, -1]
    feats = [
        last,
        _nan_stat(np.nanmean, sensors, 1),
        _nan_stat(np.nanmin, sensors, 1),
        _nan_stat(np.nanmax, sensors, 1),
        _nan_stat(np.nanstd, sensors, 1),
        last - _nan_stat(np.nanmean, sensors[:, -minute - 1 : -minute + 1 or None], 1),
        last - _nan_stat(np.nanmean, sensors[:, : max(1, t // 6)], 1),
        slope / step_s * 60.0,  # per minute
        np.isfinite(sensors).mean(1),
        np.isfinite(sensors[:, -minute:]).mean(1),
    ]
    return np.concatenate(feats, axis=1).astype(np.float32)


def vision_features(vision: np.ndarray, step_s: float) -> np.ndarray:
    minute = max(1, round(60.0 / step_s))
    return np.concatenate([vision[:, -minute:].sum(1), vision.sum(1)], axis=1).astype(np.float32)


class WindowGBM:
    """Gradient boosting on window summaries, one classifier per task (hazard, risk)."""

    name = "window-gbm"

    def __init__(self, *, text_components: int = 8, power: float = 0.5, max_iter: int = 300, seed: int = 0) -> None:
        self.text_components, self.power, self.max_iter, self.seed = text_components, power, max_iter, seed
        self.pca: PCA | None = None

    def features(self, data: MultimodalSet, text_vectors: np.ndarray, *, drop: tuple[str, ...] = ()) -> np.ndarray:
        present = data.present.copy()
        for i, m in enumerate(("sensors", "vision", "text")):
            if m in drop:
                present[:, i] = False
        sensors = np.where(present[:, 0, None, None], data.sensors, np.nan)
        vision = data.vision * present[:, 1, None, None]
        if self.pca is None:
            raise RuntimeError("fit the baseline before asking for features")
        text = self.pca.transform(text_vectors) * present[:, 2:3]
        return np.concatenate(
            [
                sensor_features(sensors, data.step_s),
                vision_features(vision, data.step_s),
                text.astype(np.float32),
                present.astype(np.float32),
            ],
            axis=1,
        )

    def fit(self, data: MultimodalSet, text_vectors: np.ndarray) -> WindowGBM:
        rows = data.present[:, 2]
        self.pca = PCA(n_components=self.text_components, random_state=self.seed).fit(text_vectors[rows])
        x = self.features(data, text_vectors)
        self.models = {}
        for task, labels, k in (("hazard", data.hazard, len(HAZARDS)), ("risk", data.risk, len(RISK_LEVELS))):
            w = class_weights(labels, k, power=self.power)[labels]
            model = HistGradientBoostingClassifier(
                max_iter=self.max_iter,
                learning_rate=0.1,
                early_stopping=True,
                validation_fraction=0.15,
                random_state=self.seed,
            )
            self.models[task] = model.fit(x, labels, sample_weight=w)
        return self

    def predict_proba(
        self, data: MultimodalSet, text_vectors: np.ndarray, *, drop: tuple[str, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """(hazard (N, len(HAZARDS)), risk (N, len(RISK_LEVELS))) probabilities."""
        x = self.features(data, text_vectors, drop=drop)
        out = []
        for task, k in (("hazard", len(HAZARDS)), ("risk", len(RISK_LEVELS))):
            model = self.models[task]
            p = np.zeros((len(data), k))
            p[:, model.classes_] = model.predict_proba(x)
            out.append(p)
        return out[0], out[1]
