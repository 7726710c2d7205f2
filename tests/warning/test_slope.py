"""The one least-squares line: known answers, undefined lines, NaN policies, batches against one-by-one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mineguard.warning.slope import RunningSlope, fit_line, ols_slope, slope_of


def test_a_line_y_2x_plus_1_has_slope_2_in_every_form():
    x = np.arange(10, dtype=float)
    y = 2 * x + 1
    assert float(ols_slope(x, y)) == pytest.approx(2.0)
    assert slope_of(x.tolist(), y.tolist()) == pytest.approx(2.0)
    line = fit_line(x, y)
    assert (line.slope, line.intercept, line.n) == (pytest.approx(2.0), pytest.approx(1.0), 10)
    assert line.resid_sd == pytest.approx(0.0, abs=1e-12)
    assert line.x_mean == pytest.approx(4.5) and line.sxx == pytest.approx(82.5)


def test_epoch_seconds_and_irregular_times_give_the_same_slope():
    t = np.array([0.0, 1.0, 3.0, 7.0, 8.5])
    y = -0.25 * t + 3
    assert float(ols_slope(1.7e9 + t, y)) == pytest.approx(-0.25, rel=1e-6)


def test_residual_sd_and_slope_agree_with_numpy_polyfit():
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0, 10, 40))
    y = 0.3 * x - 2 + rng.normal(0, 0.5, 40)
    (b, a), rss, *_ = np.polyfit(x, y, 1, full=True)
    line = fit_line(x, y)
    assert (line.slope, line.intercept) == (pytest.approx(b), pytest.approx(a))
    assert line.resid_sd == pytest.approx(math.sqrt(rss[0] / 38))


@pytest.mark.parametrize("n", [0, 1])
def test_fewer_than_two_points_give_nan(n):
    x = np.arange(n, dtype=float)
    assert math.isnan(float(ols_slope(x, x)))
    assert math.isnan(float(ols_slope(x, x, nan_policy="omit")))
    assert math.isnan(slope_of(x.tolist(), x.tolist()))
    assert math.isnan(fit_line(x, x).slope)


def test_constant_x_gives_nan_not_a_division_error():
    x, y = np.full(5, 3.0), np.arange(5.0)
    assert math.isnan(float(ols_slope(x, y)))
    assert math.isnan(slope_of(x.tolist(), y.tolist()))
    line = fit_line(x, y)
    assert line.sxx == 0.0 and math.isnan(line.slope) and math.isnan(line.resid_sd)


def test_constant_y_has_slope_0():
    assert float(ols_slope(np.arange(4.0), np.full(4, 7.0))) == 0.0


def test_nan_propagates_by_default_and_is_left_out_with_omit():
    x = np.arange(6, dtype=float)
    y = 2 * x + 1
    y[2] = np.nan
    assert math.isnan(float(ols_slope(x, y)))
    assert math.isnan(slope_of(x.tolist(), y.tolist()))
    assert float(ols_slope(x, y, nan_policy="omit")) == pytest.approx(2.0)
    x2 = x.copy()
    x2[4] = np.nan  # a missing time drops that point too
    assert float(ols_slope(x2, 2 * x + 1, nan_policy="omit")) == pytest.approx(2.0)
    one_left = np.full(6, np.nan)
    one_left[3] = 5.0
    assert math.isnan(float(ols_slope(x, one_left, nan_policy="omit")))  # one point is no line


def test_a_batch_along_any_axis_equals_fitting_each_line_alone():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(4, 7, 3))
    y[rng.random(y.shape) < 0.2] = np.nan
    x = np.linspace(-1, 2, 7)
    both = {p: ols_slope(x, y, axis=1, nan_policy=p) for p in ("propagate", "omit")}
    assert both["omit"].shape == (4, 3)
    for i in range(4):
        for k in range(3):
            line = y[i, :, k]
            keep = np.isfinite(line)
            expected = np.polyfit(x[keep], line[keep], 1)[0] if keep.sum() >= 2 else np.nan
            np.testing.assert_allclose(both["omit"][i, k], expected, rtol=1e-10)
            propagated = np.polyfit(x, line, 1)[0] if keep.all() else np.nan
            np.testing.assert_allclose(both["propagate"][i, k], propagated, rtol=1e-10)
    full_x = np.broadcast_to(x[None, :, None], y.shape)  # x given per point equals x shared
    np.testing.assert_array_equal(ols_slope(full_x, y, axis=1, nan_policy="omit"), both["omit"])
    np.testing.assert_array_equal(ols_slope(x, np.moveaxis(y, 1, -1), nan_policy="omit"), both["omit"])


def test_slope_of_matches_ols_slope():
    rng = np.random.default_rng(2)
    for n in (2, 3, 30, 300):
        x, y = np.cumsum(rng.uniform(0.1, 2, n)), rng.normal(size=n)
        assert slope_of(x.tolist(), y.tolist()) == pytest.approx(float(ols_slope(x, y)), rel=1e-9)


def test_bad_arguments_say_what_to_pass():
    with pytest.raises(ValueError, match="nan_policy must be 'propagate' or 'omit'"):
        ols_slope(np.arange(3.0), np.arange(3.0), nan_policy="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="x has 4 points but y has 3 along axis 1"):
        ols_slope(np.arange(4.0), np.zeros((2, 3)), axis=1)
    with pytest.raises(ValueError, match="at least one axis"):
        ols_slope(np.float64(1.0), np.float64(2.0))
    with pytest.raises(ValueError, match="same length"):
        slope_of([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="1-D x and y of the same length"):
        fit_line(np.arange(3.0), np.arange(4.0))


def test_a_constant_series_has_slope_exactly_zero_and_one_time_has_none() -> None:
    window = RunningSlope(60.0)
    for s in range(10):
        window.add(1_800_000_000.0 + s, 20.8)
    assert window.slope(1_800_000_000.0 + 9 - 60) == 0.0
    same = RunningSlope(60.0)
    same.add(5.0, 1.0)
    same.add(5.0, 2.0)
    assert same.slope(0.0) is None  # two samples, one time: no line


def test_a_nan_blocks_the_slope_until_it_leaves_the_window() -> None:
    window = RunningSlope(10.0)
    for s, y in [(0, 1.0), (1, math.nan), (2, 3.0), (3, 4.0)]:
        window.add(float(s), y)
    assert window.slope(-7.0) is None
    assert window.slope(1.5) == pytest.approx(1.0)  # the NaN at 1 s is out: 3 -> 4 in a second
