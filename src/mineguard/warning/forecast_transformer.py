"""The Transformer forecaster of sensor trajectories (seed 003 §3.2-3.3), registered as ``transformer``.

``SensorTransformer`` is a small Transformer encoder over patch tokens of every input sensor (value
projection + sensor embedding + patch-position embedding + continuous time-of-day embedding), one
token per (sensor, patch of ``patch_steps`` steps) as in PatchTST (Nie et al., "A Time Series is
Worth 64 Words", ICLR 2023) but with attention across sensors too; a head on each target sensor's
latest token predicts every horizon at once. Trained with MSE on the change from the last reading,
normalised by training statistics only, seeded, with early stopping on the validation windows.

``TransformerForecaster`` has the interface of every forecaster in ``forecast`` (``fit(train,
val=None)``, ``predict(windows) -> (N, H, K)``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from mineguard.engine.loop import (
    Callback,
    EarlyStopping,
    EpochLog,
    KeepBest,
    Loop,
    LoopConfig,
    Monitor,
    TimeLimit,
    index_batches,
    seed_everything,
)
from mineguard.warning.forecast_baselines import check_fitted
from mineguard.warning.series_windows import Windows

logger = logging.getLogger(__name__)


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
        seed_everything(self.seed)
        generator = torch.Generator().manual_seed(self.seed)
        self.model_ = SensorTransformer(
            len(train.names), train.targets, len(train.horizons), input_steps=train.input_steps, **self.arch
        )  # type: ignore[arg-type]
        model = self.model_
        optimiser = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        (x, day), y = self._inputs(train), self._targets(train)
        (val_x, val_day), val_y = self._inputs(val), self._targets(val)

        def step(batch: torch.Tensor) -> dict[str, torch.Tensor]:
            return {"loss": nn.functional.mse_loss(model(x[batch], day[batch]), y[batch])}

        callbacks: list[Callback] = [
            KeepBest(from_start=True),
            EarlyStopping(self.patience),
            EpochLog(self.name, logger),
        ]
        if self.max_seconds is not None:
            callbacks.append(TimeLimit(self.max_seconds))
        monitor = Monitor("val_loss", mode="min")
        summary = Loop(
            model,
            optimiser,
            step,
            batches=lambda epoch: index_batches(len(x), self.batch_size, generator),
            config=LoopConfig(epochs=self.epochs, grad_clip=1.0),
            validate=lambda epoch: {"val_loss": self._loss(val_x, val_day, val_y)},
            monitor=monitor,
            callbacks=callbacks,
            batch_size=len,
        ).fit()
        self.history_ = [(r.train["loss"], r.val["val_loss"]) for r in summary.history]
        self.best_epoch_ = -1 if monitor.best_epoch is None else monitor.best_epoch
        model.eval()
        return self

    def predict(self, windows: Windows) -> np.ndarray:
        check_fitted(self, "model_")
        assert self.model_ is not None
        if len(windows) == 0:
            return np.zeros((0, len(windows.horizons), len(windows.targets)))
        x, day = self._inputs(windows)
        self.model_.eval()
        with torch.no_grad():
            change = torch.cat([self.model_(x[i : i + 2048], day[i : i + 2048]) for i in range(0, len(x), 2048)])
        return windows.last_values[:, None, :] + change.numpy().astype(float) * self.y_scale_
