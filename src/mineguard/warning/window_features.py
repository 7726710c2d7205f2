"""Hand-made window summaries of the multimodal set, the inputs of ``window_gbm.WindowGBM``.

Per sensor channel: the last reading, window mean / min / max / std, the change over the last
minute and over the whole window, the least-squares slope of the last 2 minutes, and the
fraction of readings observed (NaN where nothing was seen: gradient boosting handles
missing values natively). Per camera label: events in the last minute and in the window.
"""

from __future__ import annotations

import warnings

import numpy as np

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
