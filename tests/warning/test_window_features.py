"""Window-summary features and the gradient-boosting baseline of the multimodal set."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from mineguard.warning.window_features import WindowGBM, sensor_features, vision_features

from .test_fusion import BagOfLetters, toy_set


def test_sensor_features_known_answers():
    t = np.arange(24, dtype=float)  # 24 steps of 5 s: a line rising 1 per step, one channel
    x = np.stack([t, np.full(24, np.nan)], axis=1)[None]  # the second channel never observed
    f = sensor_features(x.astype(np.float32), step_s=5.0).reshape(10, 2)
    last, mean, lo, hi, _, d1, dwin, slope, seen, seen1 = f[:, 0]
    assert (last, mean, lo, hi) == (23.0, 11.5, 0.0, 23.0)
    assert d1 == pytest.approx(23 - 11.5)  # last minus the mean of the two steps around one minute (12 steps) ago
    assert dwin == pytest.approx(23 - 1.5)  # last minus the mean of the first sixth (4 steps)
    assert slope == pytest.approx(12.0)  # 1 per 5 s = 12 per minute
    assert seen == 1.0 and seen1 == 1.0
    assert np.isnan(f[:8, 1]).all() and f[8, 1] == 0.0  # nothing seen: NaN summaries, 0 observed


def test_vision_features_count_the_last_minute_and_the_window():
    v = np.zeros((1, 24, 2), np.float32)
    v[0, 0, 0], v[0, -1, 1] = 3, 2
    np.testing.assert_array_equal(vision_features(v, 5.0), [[0, 2, 3, 2]])


def test_window_gbm_learns_the_toy_hazard_and_respects_dropped_modalities():
    data = toy_set(30)
    train, _, test = data.split_by_episode((0.6, 0.2, 0.2), seed=0)
    emb = BagOfLetters()
    with threadpool_limits(1):
        model = WindowGBM(text_components=2, max_iter=50).fit(train, emb.transform(train.texts))
        hazard, risk = model.predict_proba(test, emb.transform(test.texts))
        blind, _ = model.predict_proba(test, emb.transform(test.texts), drop=("sensors",))
    assert hazard.shape == (len(test), 6) and risk.shape == (len(test), 4)
    np.testing.assert_allclose(hazard.sum(1), 1.0, atol=1e-6)
    assert (hazard.argmax(1) == test.hazard).mean() > 0.9
    assert (blind.argmax(1) == test.hazard).mean() < (hazard.argmax(1) == test.hazard).mean()
    with pytest.raises(RuntimeError, match="fit"):
        WindowGBM().features(test, emb.transform(test.texts))
