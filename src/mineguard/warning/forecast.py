"""Forecasters of sensor trajectories (seed 003 §3.3 "risk prediction"), all with one interface.

``fit(train, val=None)`` learns from ``Windows`` (``mineguard.warning.series``); ``predict(windows)``
returns (N, H, K): each target sensor at each horizon, in sensor units. Registered by name
(``register_forecaster``, ``get_forecaster``), like the platform's risk models.

- ``persistence``: the last reading, the yardstick (ratios to it are the skill scores).
- ``ewma``: an exponentially weighted mean of the window; ``alpha`` given or picked per sensor on train.
- ``trend``: a least-squares line through the last ``steps`` inputs, extrapolated.
- ``gbm``: scikit-learn ``HistGradientBoostingRegressor`` on lag features of every input sensor, one
  model per (target sensor, horizon), predicting the change from the last reading; early stopping
  on the validation windows when given (never a random split of time-correlated windows).
- ``transformer``: ``SensorTransformer``, seed 003 §3.2: a small Transformer encoder over patch
  tokens of every input sensor (value projection + sensor embedding + patch-position embedding +
  continuous time-of-day embedding), one token per (sensor, patch of ``patch_steps`` steps) as in
  PatchTST (Nie et al., "A Time Series is Worth 64 Words", ICLR 2023) but with attention across
  sensors too; a head on each target sensor's latest token predicts every horizon at once. Trained
  with MSE on the change from the last reading, normalised by training statistics only, seeded,
  with early stopping on the validation windows.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingRegressor
from torch import nn

from mineguard.registry import Registry
from mineguard.warning.series import Windows
from mineguard.warning.slope import ols_slope

logger = logging.getLogger(__name__)


class Forecaster(Protocol):
    name: str

    def fit(self, train: Windows, val: Windows | None = None) -> Forecaster: ...

    def predict(self, windows: Windows) -> np.ndarray: ...  # (N, H, K) sensor units


_FORECASTERS = Registry[Forecaster]("forecaster")
# register_forecaster("name") decorates a builder with keyword-only arguments
register_forecaster = _FORECASTERS.register
get_forecaster = _FORECASTERS.build
list_forecasters = _FORECASTERS.names


def _check_fitted(model: object, attribute: str) -> None:
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
            _check_fitted(self, "alphas_")
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
        _check_fitted(self, "models_")
        assert self.models_ is not None
        features, last = lag_features(windows, levels=self.levels), windows.last_values
        out = np.empty((len(windows), len(windows.horizons), len(windows.targets)))
        for k, row in enumerate(self.models_):
            for h, model in enumerate(row):
                out[:, h, k] = last[:, k] + (model.predict(features) if len(windows) else 0.0)
        return out


class SensorTransformer(nn.Module):
    """Transformer encoder over (sensor, patch) tokens; see the module docstring.

    ``x`` (B, L, S) normalised inputs, ``day`` (B, P, 2) sin/cos of the time of day at the end of each
    of the P = L // patch_steps patches (the oldest L mod patch_steps steps are not used)
    -> (B, H, K) normalised change of each target sensor at each horizon.
    """

    def __init__(
        self,
        n_sensors: int,
        targets: Sequence[int],
        n_horizons: int,
        *,
        input_steps: int,
        patch_steps: int = 10,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if not 1 <= patch_steps <= input_steps:
            raise ValueError(f"patch_steps must be in [1, input_steps={input_steps}], got {patch_steps}")
        self.patch_steps, self.n_patches = patch_steps, input_steps // patch_steps
        self.register_buffer("targets", torch.tensor(list(targets), dtype=torch.long), persistent=False)
        self.value_proj = nn.Linear(patch_steps, d_model)
        self.sensor_embed = nn.Embedding(n_sensors, d_model)
        self.patch_embed = nn.Embedding(self.n_patches, d_model)  # step position: which patch of the window
        self.time_proj = nn.Linear(2, d_model)  # continuous time of day
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 2 * d_model, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_horizons)

    def forward(self, x: torch.Tensor, day: torch.Tensor) -> torch.Tensor:
        B, _, S = x.shape
        P, W = self.n_patches, self.patch_steps
        patches = x[:, -P * W :, :].transpose(1, 2).reshape(B, S, P, W)
        tokens = self.value_proj(patches) + self.sensor_embed.weight[None, :, None, :]
        tokens = tokens + self.patch_embed.weight[None, None] + self.time_proj(day)[:, None]
        encoded = self.encoder(tokens.reshape(B, S * P, -1)).reshape(B, S, P, -1)
        latest = self.norm(encoded[:, self.targets, -1, :])  # (B, K, d) each target's most recent patch
        return self.head(latest).transpose(1, 2)


class TransformerForecaster:
    """Fits ``SensorTransformer`` with AdamW on MSE of the normalised change from the last reading.

    Normalisation (per-sensor input mean/std; per (horizon, target) std of the change) comes from the
    training windows only. Early stopping on ``val`` (or, without it, on the latest 10 % of ``train``
    by time, with windows overlapping it dropped from training); the best epoch's weights are kept.
    ``max_seconds`` caps the training time (CPU budgets). Seeded: same data, same seed, same model.
    """

    name = "transformer"

    def __init__(
        self,
        *,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        patch_steps: int = 10,
        dropout: float = 0.1,
        epochs: int = 40,
        patience: int = 5,
        batch_size: int = 256,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
        max_seconds: float | None = None,
        relative: bool = True,
    ) -> None:
        self.arch = dict(d_model=d_model, n_heads=n_heads, n_layers=n_layers, patch_steps=patch_steps, dropout=dropout)
        self.epochs, self.patience, self.batch_size, self.lr = epochs, patience, batch_size, lr
        self.weight_decay, self.seed, self.max_seconds, self.relative = weight_decay, seed, max_seconds, relative
        self.model_: SensorTransformer | None = None
        self.x_mean_, self.x_std_, self.y_scale_ = np.zeros(0), np.ones(0), np.ones(0)  # training statistics
        self.history_: list[tuple[float, float]] = []  # (train loss, val loss) per epoch, normalised units
        self.best_epoch_ = -1

    def _inputs(self, windows: Windows) -> tuple[torch.Tensor, torch.Tensor]:
        x = ((windows.x - windows.x[:, -1:, :]) if self.relative else (windows.x - self.x_mean_)) / self.x_std_
        W = int(self.arch["patch_steps"])
        ends = np.arange(windows.input_steps - 1, -1, -W)[: windows.input_steps // W][::-1]
        angle = 2 * np.pi * (windows.input_t_s[:, ends] % 86400.0) / 86400.0
        day = np.stack([np.sin(angle), np.cos(angle)], axis=-1)
        return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(day, dtype=torch.float32)

    def _targets(self, windows: Windows) -> torch.Tensor:
        change = (windows.y - windows.last_values[:, None, :]) / self.y_scale_
        return torch.as_tensor(change, dtype=torch.float32)

    def _loss(self, x: torch.Tensor, day: torch.Tensor, y: torch.Tensor) -> float:
        assert self.model_ is not None
        self.model_.eval()
        with torch.no_grad():
            total = sum(
                float(((self.model_(x[i : i + 2048], day[i : i + 2048]) - y[i : i + 2048]) ** 2).sum())
                for i in range(0, len(x), 2048)
            )
        return total / max(y.numel(), 1)

    def fit(self, train: Windows, val: Windows | None = None) -> TransformerForecaster:
        if val is None or len(val) == 0:
            cut = float(np.quantile(train.t_origin_s, 0.9))
            train, val = train.select(train.t_last_s < cut), train.select(train.t_first_s >= cut)
        if len(train) == 0 or len(val) == 0:
            raise ValueError(f"need training and validation windows, got {len(train)} and {len(val)}")
        self.x_mean_ = train.x.mean(axis=(0, 1))
        spread = (train.x - train.x[:, -1:, :]) if self.relative else train.x
        self.x_std_ = np.maximum(spread.std(axis=(0, 1)), 1e-6)
        self.y_scale_ = np.maximum((train.y - train.last_values[:, None, :]).std(axis=0), 1e-6)  # (H, K)
        torch.manual_seed(self.seed)
        generator = torch.Generator().manual_seed(self.seed)
        self.model_ = SensorTransformer(
            len(train.names), train.targets, len(train.horizons), input_steps=train.input_steps, **self.arch
        )  # type: ignore[arg-type]
        optimiser = torch.optim.AdamW(self.model_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        (x, day), y = self._inputs(train), self._targets(train)
        (val_x, val_day), val_y = self._inputs(val), self._targets(val)
        best, best_state, stale, start = float("inf"), copy.deepcopy(self.model_.state_dict()), 0, time.monotonic()
        self.history_ = []
        for epoch in range(self.epochs):
            self.model_.train()
            order, running = torch.randperm(len(x), generator=generator), 0.0
            for i in range(0, len(x), self.batch_size):
                batch = order[i : i + self.batch_size]
                loss = nn.functional.mse_loss(self.model_(x[batch], day[batch]), y[batch])
                optimiser.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.model_.parameters(), 1.0)
                optimiser.step()
                running += float(loss.detach()) * len(batch)
            val_loss = self._loss(val_x, val_day, val_y)
            self.history_.append((running / len(x), val_loss))
            logger.info("transformer epoch %d: train %.4f val %.4f", epoch, running / len(x), val_loss)
            if val_loss < best:
                best, best_state, stale, self.best_epoch_ = val_loss, copy.deepcopy(self.model_.state_dict()), 0, epoch
            else:
                stale += 1
            if stale >= self.patience or (self.max_seconds is not None and time.monotonic() - start > self.max_seconds):
                break
        self.model_.load_state_dict(best_state)
        self.model_.eval()
        return self

    def predict(self, windows: Windows) -> np.ndarray:
        _check_fitted(self, "model_")
        assert self.model_ is not None
        if len(windows) == 0:
            return np.zeros((0, len(windows.horizons), len(windows.targets)))
        x, day = self._inputs(windows)
        self.model_.eval()
        with torch.no_grad():
            change = torch.cat([self.model_(x[i : i + 2048], day[i : i + 2048]) for i in range(0, len(x), 2048)])
        return windows.last_values[:, None, :] + change.numpy().astype(float) * self.y_scale_


@register_forecaster("persistence")
def persistence() -> Persistence:
    return Persistence()


@register_forecaster("ewma")
def ewma(**kwargs: float) -> EWMA:
    return EWMA(**kwargs)  # type: ignore[arg-type]


@register_forecaster("trend")
def trend(**kwargs: int) -> LinearTrend:
    return LinearTrend(**kwargs)


@register_forecaster("gbm")
def gbm(**kwargs: float) -> LagGBM:
    return LagGBM(**kwargs)  # type: ignore[arg-type]


@register_forecaster("transformer")
def transformer(**kwargs: float) -> TransformerForecaster:
    return TransformerForecaster(**kwargs)  # type: ignore[arg-type]
