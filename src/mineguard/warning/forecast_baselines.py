"""The baseline forecasters of sensor trajectories: persistence, EWMA, linear trend, gradient boosting.

Each has the interface of ``forecast.Forecaster`` (``fit(train, val=None)``, ``predict(windows) ->
(N, H, K)`` sensor units) and is built by name through ``forecast.get_forecaster``; see
``forecast`` for what each one does. ``check_fitted`` is the shared "call fit first" guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from mineguard.warning.series_windows import Windows
from mineguard.warning.slope import ols_slope


def check_fitted(model: object, attribute: str) -> None:
    if getattr(model, attribute) is None:
        raise RuntimeError(f"{type(model).__name__} is not fitted — call fit(train_windows) first")


class Persistence:
    """y(t + h) = y(t): the last reading, for every horizon."""

    name = "persistence"

    def fit(self, train: Windows, val: Windows | None = None) -> Persistence:
        return self

    def predict(self, windows: Windows) -> np.ndarray:
        return np.repeat(windows.last_values[:, None, :], len(windows.horizons), axis=1)


def ewma_weights(n: int, alpha: float) -> np.ndarray:
    """(n,) weights of s_i = alpha x_i + (1 - alpha) s_{i-1}, s_0 = x_0, so that s_{n-1} = w @ x."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    w = alpha * (1.0 - alpha) ** np.arange(n - 1, -1, -1, dtype=float)
    w[0] = (1.0 - alpha) ** (n - 1)
    return w


class EWMA:
    """A flat forecast at the exponentially weighted mean of the window (``alpha`` 1 = persistence).

    With ``alpha=None`` ``fit`` picks, per target sensor, the alpha of ``grid`` with the lowest
    training MSE over all horizons.
    """

    name = "ewma"

    def __init__(
        self, *, alpha: float | None = None, grid: Sequence[float] = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
    ) -> None:
        self.alpha, self.grid = alpha, tuple(grid)
        if alpha is not None:
            ewma_weights(2, alpha)  # validates alpha
        self.alphas_: np.ndarray | None = None  # per target sensor, set by fit when alpha is None

    def fit(self, train: Windows, val: Windows | None = None) -> EWMA:
        if self.alpha is not None:
            self.alphas_ = np.full(len(train.targets), self.alpha)
            return self
        series = train.x[:, :, list(train.targets)]  # (N, L, K)
        mse = np.stack(
            [
                (((series.transpose(0, 2, 1) @ ewma_weights(train.input_steps, a))[:, None, :] - train.y) ** 2).mean(
                    axis=(0, 1)
                )
                for a in self.grid
            ]
        )
        self.alphas_ = np.array(self.grid)[mse.argmin(axis=0)]
        return self

    def predict(self, windows: Windows) -> np.ndarray:
        if self.alpha is None:
            check_fitted(self, "alphas_")
        alphas = np.full(len(windows.targets), self.alpha) if self.alpha is not None else self.alphas_
        assert alphas is not None
        series = windows.x[:, :, list(windows.targets)]
        level = np.stack([series[:, :, k] @ ewma_weights(windows.input_steps, a) for k, a in enumerate(alphas)], axis=1)
        return np.repeat(level[:, None, :], len(windows.horizons), axis=1)


class LinearTrend:
    """Ordinary least squares through the last ``steps`` inputs (all when None), extrapolated ``h`` steps."""

    name = "trend"

    def __init__(self, *, steps: int | None = None) -> None:
        if steps is not None and steps < 2:
            raise ValueError(f"a line needs at least 2 steps, got {steps}")
        self.steps = steps

    def fit(self, train: Windows, val: Windows | None = None) -> LinearTrend:
        return self

    def predict(self, windows: Windows) -> np.ndarray:
        n = min(self.steps or windows.input_steps, windows.input_steps)
        y = windows.x[:, -n:, list(windows.targets)]  # (N, n, K)
        x = np.arange(n, dtype=float) - (n - 1)  # 0 at the origin
        slope = ols_slope(x, y, axis=1) if n >= 2 else np.zeros(y[:, 0].shape)  # one step: flat
        intercept = y.mean(axis=1) - slope * x.mean()
        ahead = np.array(windows.horizons, dtype=float)
        return intercept[:, None, :] + ahead[None, :, None] * slope[:, None, :]


def lag_features(windows: Windows, *, lags: Sequence[int] = (1, 2, 4, 8, 16, 32), levels: bool = False) -> np.ndarray:
    """(N, F) features of every input sensor: the last reading itself when ``levels``; its change over
    each lag (steps) that fits the window; the window's mean, std, min and max relative to the last
    reading; the slope over the last 10 steps; then sin and cos of the UTC time of day at the origin."""
    x, last = windows.x, windows.x[:, -1, :]
    L = windows.input_steps
    parts = [last] if levels else []
    parts += [last - x[:, -1 - lag, :] for lag in lags if lag < L]
    parts += [x.mean(axis=1) - last, x.std(axis=1), x.min(axis=1) - last, x.max(axis=1) - last]
    n = min(10, L)
    if n >= 2:
        parts.append(ols_slope(np.arange(n, dtype=float), x[:, -n:, :], axis=1))
    day = 2 * np.pi * (windows.t_origin_s % 86400.0) / 86400.0
    parts += [np.sin(day)[:, None], np.cos(day)[:, None]]
    return np.concatenate(parts, axis=1)


class LagGBM:
    """One ``HistGradientBoostingRegressor`` per (target, horizon) on ``lag_features``, predicting y(t+h) - y(t).

    Defaults: ``loss="absolute_error"`` (the changes are heavy-tailed: dust spikes of hundreds of
    ug/m3 between quiet readings, and a squared loss chases them) and no absolute-level features
    (``levels=False``: trees split on levels memorise the training weeks' regimes, which shift).
    ``loss="squared_error", levels=True`` is the textbook variant; the benchmark reports both.
    """

    name = "gbm"

    def __init__(
        self,
        *,
        loss: Literal["absolute_error", "squared_error"] = "absolute_error",
        levels: bool = False,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.levels = levels
        self.params = dict(
            loss=loss,
            max_iter=max_iter,
            learning_rate=learning_rate,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            l2_regularization=l2_regularization,
            random_state=seed,
        )
        self.models_: list[list[HistGradientBoostingRegressor]] | None = None

    def fit(self, train: Windows, val: Windows | None = None) -> LagGBM:
        features, change = lag_features(train, levels=self.levels), train.y - train.last_values[:, None, :]
        if val is not None and len(val) > 0:
            val_features, val_change = lag_features(val, levels=self.levels), val.y - val.last_values[:, None, :]
        self.models_ = []
        for k in range(len(train.targets)):
            row = []
            for h in range(len(train.horizons)):
                model = HistGradientBoostingRegressor(**self.params)  # type: ignore[arg-type]
                if val is not None and len(val) > 0:
                    model.set_params(early_stopping=True, n_iter_no_change=20)
                    model.fit(features, change[:, h, k], X_val=val_features, y_val=val_change[:, h, k])
                else:
                    model.set_params(early_stopping=False)
                    model.fit(features, change[:, h, k])
                row.append(model)
            self.models_.append(row)
        return self

    def predict(self, windows: Windows) -> np.ndarray:
        check_fitted(self, "models_")
        assert self.models_ is not None
        features, last = lag_features(windows, levels=self.levels), windows.last_values
        out = np.empty((len(windows), len(windows.horizons), len(windows.targets)))
        for k, row in enumerate(self.models_):
            for h, model in enumerate(row):
                out[:, h, k] = last[:, k] + (model.predict(features) if len(windows) else 0.0)
        return out
