"""Forecast error per sensor and horizon, and skill relative to a reference forecast (persistence).

For forecasts ``y_pred`` and truths ``y_true`` of shape (N, H, K) (windows, horizons, sensors):

    MAE[h, k]  = mean_n |y_pred - y_true|
    RMSE[h, k] = sqrt(mean_n (y_pred - y_true)^2)

and the ratio of a model's error to the reference's error (here persistence, y(t+h) = y(t)):
a ratio below 1 means better than the reference, above 1 worse (a "relative MAE" / "relative RMSE";
the RMSE ratio is 1 minus the square root of the MSE skill score). Windows can be left out with a
boolean ``mask`` (N, H, K); a cell with no windows, or whose reference error is 0, is NaN.
MAE and RMSE of each cell come from ``sklearn.metrics`` over that cell's scored windows.
``interval_scores`` gives the coverage and mean width of prediction intervals (N, H, K) per cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import mean_absolute_error, root_mean_squared_error


@dataclass(frozen=True)
class ForecastErrors:
    """``mae`` and ``rmse`` (H, K) in sensor units; ``n`` (H, K) windows scored per cell."""

    mae: np.ndarray
    rmse: np.ndarray
    n: np.ndarray


@dataclass(frozen=True)
class ForecastSkill:
    """(H, K) error ratios to a reference forecast: below 1 is better than the reference."""

    mae_ratio: np.ndarray
    rmse_ratio: np.ndarray


def forecast_errors(y_true: np.ndarray, y_pred: np.ndarray, *, mask: np.ndarray | None = None) -> ForecastErrors:
    """MAE and RMSE per horizon and sensor of (N, H, K) forecasts; ``mask`` (N, H, K) True = score it."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape or y_true.ndim != 3:
        raise ValueError(f"y_true and y_pred must both be (N, H, K), got {y_true.shape} and {y_pred.shape}")
    keep = np.ones(y_true.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if keep.shape != y_true.shape:
        raise ValueError(f"mask must be {y_true.shape}, got {keep.shape}")
    keep = keep & np.isfinite(y_true)
    if np.any(keep & ~np.isfinite(y_pred)):
        raise ValueError("y_pred has NaN or infinite values where y_true is scored — the forecaster failed")
    n = keep.sum(axis=0)
    mae, rmse = np.full(n.shape, np.nan), np.full(n.shape, np.nan)
    for h, k in zip(*np.nonzero(n), strict=True):  # each cell scores its own windows
        rows = keep[:, h, k]
        mae[h, k] = mean_absolute_error(y_true[rows, h, k], y_pred[rows, h, k])
        rmse[h, k] = root_mean_squared_error(y_true[rows, h, k], y_pred[rows, h, k])
    return ForecastErrors(mae, rmse, n)


def skill(errors: ForecastErrors, reference: ForecastErrors) -> ForecastSkill:
    """``errors`` / ``reference`` per cell; NaN where the reference error is 0 or undefined."""
    if errors.mae.shape != reference.mae.shape:
        raise ValueError(f"errors {errors.mae.shape} and reference {reference.mae.shape} are for different tables")

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

    return ForecastSkill(ratio(errors.mae, reference.mae), ratio(errors.rmse, reference.rmse))


@dataclass(frozen=True)
class IntervalScores:
    """Of central prediction intervals: ``coverage`` (H, K) fraction of truths inside [lower, upper],
    ``mean_width`` (H, K) mean of upper - lower in sensor units, ``n`` (H, K) windows scored."""

    coverage: np.ndarray
    mean_width: np.ndarray
    n: np.ndarray


def interval_scores(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> IntervalScores:
    """Coverage and mean width per horizon and sensor of (N, H, K) intervals; NaN truths are not scored."""
    y_true, lower, upper = (np.asarray(a, dtype=float) for a in (y_true, lower, upper))
    if not (y_true.shape == lower.shape == upper.shape) or y_true.ndim != 3:
        shapes = f"{y_true.shape}, {lower.shape}, {upper.shape}"
        raise ValueError(f"y_true, lower, upper must all be (N, H, K), got {shapes}")
    if np.any(lower > upper):
        raise ValueError("an interval has lower > upper — the forecaster's bands are broken")
    keep = np.isfinite(y_true)
    n = keep.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = ((y_true >= lower) & (y_true <= upper) & keep).sum(axis=0) / n
        width = np.where(keep, upper - lower, 0.0).sum(axis=0) / n
    return IntervalScores(np.where(n > 0, inside, np.nan), np.where(n > 0, width, np.nan), n)
