"""Window-summary features of the multimodal set (the inputs of ``window_gbm``)."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.window_features import sensor_features, vision_features


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
