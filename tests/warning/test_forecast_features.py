"""Window features of the tree forecasters: known answers on a ramp, names match columns, bad specs."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.forecast_features import FeatureSpec, feature_names, window_features
from mineguard.warning.series_windows import Windows


def ramp(steps: int = 60, n: int = 2) -> Windows:
    """Two sensors: a ramp of slope 1 per step and a constant 5; the origin at 06:00 UTC."""
    x = np.stack([np.column_stack([np.arange(steps, dtype=float), np.full(steps, 5.0)])] * n)
    return Windows(x, np.zeros((n, 1, 1)), np.full(n, 6 * 3600.0), 30.0, (1,), ("co", "no2"), (0,))


def test_ramp_known_answers() -> None:
    windows = ramp()
    names = feature_names(windows.names, windows.input_steps)
    row = dict(zip(names, window_features(windows)[0], strict=True))
    assert len(names) == window_features(windows).shape[1]
    assert row["co.diff0"] == row["co.diff4"] == 1.0 and row["no2.diff0"] == 0.0
    assert row["co.change10"] == 10.0 and row["co.change40"] == 40.0
    assert row["co.mean10-last"] == pytest.approx(-4.5)  # mean of 50..59 is 54.5, last 59
    assert row["co.std3"] == pytest.approx(np.std([57, 58, 59]))
    assert row["co.absdiff20"] == pytest.approx(1.0) and row["no2.absdiff20"] == 0.0
    assert row["co.min-last"] == -59.0 and row["co.max-last"] == 0.0
    assert row["co.slope10"] == pytest.approx(1.0)
    assert row["co.jump"] == pytest.approx(1.0) and row["no2.jump"] == 0.0 and row["all.jump"] == pytest.approx(0.5)
    assert row["tod.sin"] == pytest.approx(1.0) and row["tod.cos"] == pytest.approx(0.0, abs=1e-12)  # 06:00


def test_levels_and_short_windows() -> None:
    spec = FeatureSpec(levels=True)
    windows = ramp(steps=4)
    names = feature_names(windows.names, 4, spec)
    features = window_features(windows, spec)
    assert features.shape == (2, len(names)) and names[0] == "co.level" and features[0, 0] == 3.0
    assert "co.change10" not in names and "co.mean60-last" not in names and "co.mean4-last" in names
    one = ramp(steps=1)
    assert window_features(one).shape == (2, len(feature_names(one.names, 1)))
    assert window_features(one.select(np.zeros(2, dtype=bool))).shape == (0, len(feature_names(one.names, 1)))


@pytest.mark.parametrize("kwargs", [{"n_diffs": -1}, {"lags": (0, 1)}, {"spans": (5, 0)}])
def test_bad_spec(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="feature spec"):
        FeatureSpec(**kwargs)
