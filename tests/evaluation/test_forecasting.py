"""Known answers of forecast MAE / RMSE per horizon and sensor and of skill ratios to a reference."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.evaluation.forecasting import forecast_errors, interval_scores, skill


def test_mae_rmse_known_answers() -> None:
    y_true = np.zeros((2, 1, 2))
    y_pred = np.array([[[1.0, 3.0]], [[-3.0, 3.0]]])  # sensor 0 errors 1, -3; sensor 1 errors 3, 3
    errors = forecast_errors(y_true, y_pred)
    np.testing.assert_allclose(errors.mae, [[2.0, 3.0]])
    np.testing.assert_allclose(errors.rmse, [[np.sqrt(5.0), 3.0]])
    np.testing.assert_array_equal(errors.n, [[2, 2]])


def test_per_horizon_and_perfect_forecast() -> None:
    y_true = np.arange(12, dtype=float).reshape(2, 3, 2)
    errors = forecast_errors(y_true, y_true + np.array([0.0, 1.0, 2.0])[None, :, None])
    np.testing.assert_allclose(errors.mae[:, 0], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(errors.rmse[:, 1], [0.0, 1.0, 2.0])


def test_mask_and_missing_truth() -> None:
    y_true = np.array([[[0.0]], [[0.0]], [[np.nan]]])
    y_pred = np.array([[[2.0]], [[10.0]], [[5.0]]])
    errors = forecast_errors(y_true, y_pred, mask=np.array([True, False, True])[:, None, None])
    assert errors.mae[0, 0] == 2.0 and errors.n[0, 0] == 1  # the masked window and the NaN truth left out
    nothing = forecast_errors(y_true, y_pred, mask=np.zeros((3, 1, 1), dtype=bool))
    assert np.isnan(nothing.mae[0, 0]) and np.isnan(nothing.rmse[0, 0]) and nothing.n[0, 0] == 0


def test_random_masks_agree_with_masked_means() -> None:
    """Each cell scores only its own kept, finite windows (checked against masked numpy means)."""
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(40, 3, 4))
    y_pred = y_true + rng.normal(size=y_true.shape)
    y_true[rng.random(y_true.shape) < 0.1] = np.nan
    mask = rng.random(y_true.shape) < 0.7
    mask[:, 2, 3] = False  # one cell with no windows at all
    errors = forecast_errors(y_true, y_pred, mask=mask)
    error = np.where(mask & np.isfinite(y_true), y_pred - y_true, np.nan)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="empty slice"):
        np.testing.assert_allclose(errors.mae, np.nanmean(np.abs(error), axis=0), rtol=1e-12)
        np.testing.assert_allclose(errors.rmse, np.sqrt(np.nanmean(error**2, axis=0)), rtol=1e-12)
    np.testing.assert_array_equal(errors.n, np.isfinite(error).sum(axis=0))
    assert np.isnan(errors.mae[2, 3]) and errors.n[2, 3] == 0


def test_skill_ratios() -> None:
    y_true = np.zeros((2, 2, 1))
    reference = forecast_errors(y_true, np.full((2, 2, 1), 2.0))  # MAE = RMSE = 2 everywhere
    better = forecast_errors(y_true, np.array([[[1.0], [4.0]], [[-1.0], [0.0]]]))
    ratios = skill(better, reference)
    np.testing.assert_allclose(ratios.mae_ratio[:, 0], [0.5, 1.0])  # horizon 0 halves the error, horizon 1 ties
    np.testing.assert_allclose(ratios.rmse_ratio[:, 0], [0.5, np.sqrt(8.0) / 2.0])  # ... but loses on RMSE
    perfect_reference = forecast_errors(y_true, y_true)
    assert np.isnan(skill(better, perfect_reference).mae_ratio).all()


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\(N, H, K\)"):
        forecast_errors(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="mask must be"):
        forecast_errors(np.zeros((3, 2, 1)), np.zeros((3, 2, 1)), mask=np.ones((3, 2), dtype=bool))
    with pytest.raises(ValueError, match="forecaster failed"):
        forecast_errors(np.zeros((1, 1, 1)), np.full((1, 1, 1), np.nan))
    with pytest.raises(ValueError, match="different tables"):
        skill(
            forecast_errors(np.zeros((1, 1, 1)), np.zeros((1, 1, 1))),
            forecast_errors(np.zeros((1, 2, 1)), np.zeros((1, 2, 1))),
        )


def test_interval_scores_known_answer() -> None:
    y = np.array([0.0, 1.0, 2.0, np.nan]).reshape(4, 1, 1)
    lower, upper = np.full((4, 1, 1), 0.5), np.full((4, 1, 1), 2.0)
    scores = interval_scores(y, lower, upper)
    assert scores.coverage[0, 0] == pytest.approx(2 / 3) and scores.mean_width[0, 0] == 1.5 and scores.n[0, 0] == 3
    with pytest.raises(ValueError, match="lower > upper"):
        interval_scores(y, upper, lower)
    with pytest.raises(ValueError, match=r"\(N, H, K\)"):
        interval_scores(y[:, 0], lower[:, 0], upper[:, 0])
