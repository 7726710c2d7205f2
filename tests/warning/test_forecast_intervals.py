"""Split-conformal intervals: known order statistics, scaling, asymmetry, coverage on noise, bad levels."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.forecast_intervals import SplitConformal, check_levels


def test_known_order_statistics() -> None:
    residuals = np.arange(1.0, 100.0)[:, None, None]  # n = 99 residuals 1..99 of one cell
    conformal = SplitConformal.fit(residuals, [0.8])
    # k_lo = floor(100 * 0.1) = 10, k_hi = ceil(100 * 0.9) = 90: the 10th and 90th smallest
    assert conformal.lo[0, 0, 0] == 10.0 and conformal.hi[0, 0, 0] == 90.0
    bands = conformal.interval(np.zeros((3, 1, 1)))
    lower, upper = bands.at(0.8)
    assert lower.shape == (3, 1, 1) and (lower == 10.0).all() and (upper == 90.0).all()


def test_scale_and_asymmetry() -> None:
    rng = np.random.default_rng(0)
    residuals = rng.exponential(1.0, (999, 2, 1))  # skewed: all above the forecast
    scale = np.full((999, 1, 1), 2.0)
    conformal = SplitConformal.fit(residuals * 2.0, [0.8, 0.95], scale=scale)
    lower, upper = conformal.interval(np.zeros((1, 2, 1)), scale=np.full((1, 1, 1), 10.0)).at(0.95)
    assert 0.0 < lower.min() < 0.5 and upper[0, 0, 0] == pytest.approx(10.0 * np.log(40.0), rel=0.15)


def test_coverage_on_exchangeable_noise_is_nominal() -> None:
    rng = np.random.default_rng(1)
    conformal = SplitConformal.fit(rng.standard_t(3, (500, 1, 1)), [0.8, 0.95])
    fresh = rng.standard_t(3, (20_000, 1, 1))
    bands = conformal.interval(np.zeros_like(fresh))
    for level in (0.8, 0.95):
        lower, upper = bands.at(level)
        assert np.mean((fresh >= lower) & (fresh <= upper)) == pytest.approx(level, abs=0.03)


@pytest.mark.parametrize("levels", [[], [0.0], [1.0], [95], [0.8, -0.1], [float("nan")]])
def test_bad_levels(levels: list[float]) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        check_levels(levels)


def test_too_few_residuals_and_unknown_level() -> None:
    with pytest.raises(ValueError, match="N >= 2"):
        SplitConformal.fit(np.zeros((1, 1, 1)), [0.8])
    bands = SplitConformal.fit(np.zeros((5, 1, 1)), [0.8]).interval(np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match=r"no 0\.95 interval"):
        bands.at(0.95)
