"""Resampling with bounded hold, alignment of different rates, and model windows."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.sensing import align, resample, windows


def test_resample_holds_up_to_max_hold_then_nan() -> None:
    t = np.array([0.0, 10.0, 100.0])
    v = np.array([1.0, 2.0, 3.0])
    grid, out = resample(t, v, start=0.0, end=120.0, step_s=10.0, max_hold_s=30.0)
    assert grid.tolist() == [float(x) for x in range(0, 120, 10)]
    expected = [1, 2, 2, 2, 2, np.nan, np.nan, np.nan, np.nan, np.nan, 3, 3]
    np.testing.assert_array_equal(out, np.array(expected, dtype=float))


def test_resample_mean_bins_are_causal() -> None:
    t = np.array([1.0, 4.0, 9.0, 12.0])
    v = np.array([1.0, 3.0, 5.0, 7.0])
    _, out = resample(t, v, start=0.0, end=40.0, step_s=10.0, method="mean", max_hold_s=15.0)
    # bin (0,10] -> mean(1,3,5) at 10; (10,20] -> 7 at 20; 30: last reading 18 s old > 15 -> NaN
    np.testing.assert_allclose(out, [np.nan, 3.0, 7.0, np.nan])


def test_resample_datetime_grid_and_type_mismatch() -> None:
    t = np.array(["2024-05-01T00:00:00", "2024-05-01T00:00:30"], dtype="datetime64[ms]")
    start, end = np.datetime64("2024-05-01T00:00:00"), np.datetime64("2024-05-01T00:01:00")
    grid, out = resample(t, np.array([1.0, 2.0]), start=start, end=end, step_s=15.0, max_hold_s=15.0)
    assert grid.dtype == np.dtype("datetime64[ms]") and grid.size == 4
    np.testing.assert_array_equal(out, [1.0, 1.0, 2.0, 2.0])
    with pytest.raises(TypeError, match="datetime"):
        resample(t, np.array([1.0, 2.0]), start=0.0, end=60.0, step_s=15.0)


def test_align_two_rates() -> None:
    fast = (np.arange(0.0, 60.0, 1.0), np.arange(60.0))  # 1 Hz
    slow = (np.arange(0.0, 60.0, 20.0), np.array([10.0, 20.0, 30.0]))  # every 20 s
    grid, m, names = align({"ch4": fast, "wind": slow}, 10.0, end=60.0, max_hold_s={"ch4": 2.0, "wind": 25.0})
    assert names == ["ch4", "wind"] and m.shape == (len(grid), 2)
    assert grid.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    np.testing.assert_array_equal(m[:, 0], [0, 10, 20, 30, 40, 50])
    np.testing.assert_array_equal(m[:, 1], [10, 10, 20, 20, 30, 30])


def test_align_rejects_mixed_time_types_and_empty() -> None:
    with pytest.raises(ValueError, match="at least one"):
        align({}, 10.0)
    dt = np.array(["2024-05-01T00:00:00"], dtype="datetime64[ms]")
    with pytest.raises(TypeError, match="one type"):
        align({"a": (dt, np.ones(1)), "b": (np.zeros(1), np.ones(1))}, 10.0)


def test_windows_shape_and_content() -> None:
    m = np.arange(20.0).reshape(10, 2)
    w = windows(m, size=4, stride=3)
    assert w.shape == (3, 4, 2)
    np.testing.assert_array_equal(w[1], m[3:7])
    assert windows(m, size=11).shape == (0, 11, 2)
    with pytest.raises(ValueError, match="reshape"):
        windows(np.arange(5.0), size=2)
