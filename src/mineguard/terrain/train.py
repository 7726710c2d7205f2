"""Train an open-pit slice classifier on the shared training loop (``mineguard.engine.loop``).

Seed 004 trains its network with a binary cross-entropy (Eq. 7) and compares SGD, Adam and RMSProp
(Table 4); so does :func:`train_classifier`: two-logit cross-entropy (the same loss), weighted by the
inverse class frequency of the training slices because open pit is the rarer class, with random
flips and quarter turns (a nadir image has no up) and a random gain per band and slice (``gain``:
the same ground is brighter in June than in February; the test dates are another season), a cosine
learning rate, the weights of the epoch with the lowest validation cross-entropy kept (kappa on
slices from the training dates saturates at 1 within an epoch or two and would pick the first),
and early stop when it has not improved for ``patience`` epochs. Batch-norm statistics are
recomputed on training slices before each validation (``PreciseBatchNorm``: on a few hundred small
slices the running averages never forget their start and the network's eval-mode output collapses
to a constant). The validation slices come from training
blocks and dates only (``terrain.split``), so the test slices never choose anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from mineguard.engine.loop import (
    Checkpoint,
    EarlyStopping,
    EpochRecord,
    KeepBest,
    Loop,
    LoopConfig,
    Monitor,
    ParamSchedule,
    PreciseBatchNorm,
    Progress,
    TimeLimit,
    index_batches,
    seed_everything,
)
from mineguard.engine.optim import cosine_lr
from mineguard.evaluation.classification import classification_scores
from mineguard.terrain.classifiers import predict_proba
from mineguard.terrain.network import BandStandardised, band_statistics, build_classifier

log = logging.getLogger(__name__)
Optimiser = Literal["sgd", "adam", "rmsprop"]
DEFAULT_LR: dict[str, float] = {"sgd": 0.05, "adam": 1e-3, "rmsprop": 1e-3}


@dataclass(frozen=True)
class TerrainTrainConfig:
    """``lr`` None takes the optimiser's usual rate (``DEFAULT_LR``); ``time_limit_s`` stops after the
    epoch that passes it; ``threshold`` turns the validation probabilities into labels for kappa."""

    model: str = "openpit-dense"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    optimizer: Optimiser = "sgd"
    lr: float | None = None
    momentum: float = 0.9
    weight_decay: float = 1e-4
    epochs: int = 30
    batch_size: int = 64
    patience: int = 8
    time_limit_s: float | None = None
    augment: bool = True
    gain: float = 0.25  # augmentation: each band of each slice times a gain in [1 - gain, 1 + gain]
    balance: bool = True
    threshold: float = 0.5
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.optimizer not in DEFAULT_LR:
            raise ValueError(f"optimizer must be one of {sorted(DEFAULT_LR)}, got {self.optimizer!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 1:
            raise ValueError("epochs, batch_size and patience must be >= 1")
        if self.lr is not None and not (np.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")
        if not 0.0 <= self.gain < 1.0:
            raise ValueError(f"gain must lie in [0, 1), got {self.gain}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {self.threshold}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]


@dataclass(frozen=True)
class TrainedClassifier:
    """The trained model (best validation epoch's weights) and how the run went."""

    model: BandStandardised
    config: TerrainTrainConfig
    slice_size: int
    band_names: tuple[str, ...]
    best_epoch: int | None
    val_scores: dict[str, float]
    epochs_run: int
    seconds: float
    history: tuple[EpochRecord, ...] = field(repr=False)

    def payload(self) -> dict[str, Any]:
        """What ``best.pt`` holds (``terrain.network.load_network`` reads it back)."""
        return checkpoint_payload(self.model, self.config, self.slice_size, self.band_names, self.val_scores)


def checkpoint_payload(
    model: BandStandardised,
    config: TerrainTrainConfig,
    slice_size: int,
    band_names: tuple[str, ...],
    val: dict[str, float],
) -> dict[str, Any]:
    return {
        "task": "terrain",
        "model_name": config.model,
        "model_config": model_config(config, len(band_names)),
        "model": model.state_dict(),
        "train_config": asdict(config),
        "slice_size": slice_size,
        "band_names": list(band_names),
        "val": val,
    }


def model_config(config: TerrainTrainConfig, channels: int) -> dict[str, Any]:
    return {"in_channels": channels, "num_classes": 2, **config.model_kwargs}


def train_classifier(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    band_names: tuple[str, ...],
    config: TerrainTrainConfig | None = None,
    out_dir: Path | None = None,
    progress: bool = False,
) -> TrainedClassifier:
    """Train ``config.model`` on slices (N, C, s, s) with labels 0/1; validate on ``x_val``/``y_val``."""
    config = config or TerrainTrainConfig()
    _check_arrays(x_train, y_train, "training", len(band_names))
    _check_arrays(x_val, y_val, "validation", len(band_names))
    if len(np.unique(y_train)) < 2:
        raise ValueError("the training slices hold one class only — cut more slices or move the split")
    seed_everything(config.seed)
    mean, std = band_statistics(x_train)
    model = build_classifier(config.model, model_config(config, len(band_names)), mean, std).to(config.device)
    xt, yt = torch.from_numpy(np.ascontiguousarray(x_train)).float(), torch.from_numpy(y_train).long()
    weights = _class_weights(y_train) if config.balance else None
    criterion = nn.CrossEntropyLoss(weight=weights.to(config.device) if weights is not None else None)
    generator = torch.Generator().manual_seed(config.seed)
    batches_per_epoch = -(-len(xt) // config.batch_size)

    def batches(epoch: int):
        for index in index_batches(len(xt), config.batch_size, generator):
            x = xt[index]
            yield (_augment(x, generator, config.gain) if config.augment else x), yt[index]

    def step(batch) -> dict[str, torch.Tensor]:
        x, y = batch
        return {"loss": criterion(model(x.to(config.device)), y.to(config.device))}

    def validate(epoch: int) -> dict[str, float]:
        probs = predict_proba(model, x_val).astype(np.float64)
        scores = classification_scores(y_val, (probs >= config.threshold).astype(np.int64))
        p = np.clip(np.where(y_val == 1, probs, 1.0 - probs), 1e-7, 1.0)
        return {
            "val_loss": float(-np.log(p).mean()),
            "kappa": scores.kappa,
            "f1": scores.f1,
            "oa": scores.overall_accuracy,
        }

    lr0 = config.learning_rate

    def schedule(epoch: int, iteration: int) -> dict[str, float]:
        return {"lr": cosine_lr(iteration / max(1, config.epochs * batches_per_epoch), lr0=lr0, lrf=0.05)}

    sample = xt[torch.randperm(len(xt), generator=torch.Generator().manual_seed(config.seed))[:2048]]

    def statistics_batches():  # a fixed sample of up to 2,048 training slices, not augmented
        return sample.split(256)

    monitor = Monitor("val_loss", mode="min")
    callbacks = [
        ParamSchedule(schedule, every="batch", batches_per_epoch=batches_per_epoch),
        PreciseBatchNorm(statistics_batches),
        KeepBest(from_start=True),
        EarlyStopping(config.patience),
    ]
    if config.time_limit_s is not None:
        callbacks.append(TimeLimit(config.time_limit_s))
    slice_size = int(x_train.shape[-1])
    if out_dir is not None:
        callbacks.append(Checkpoint(out_dir, payload=_payload_fn(model, config, slice_size, band_names)))
    if progress:
        callbacks.append(Progress(batches_per_epoch, keys=("loss",)))
    loop = Loop(
        model,
        _optimizer(model, config),
        step,
        batches=batches,
        config=LoopConfig(epochs=config.epochs, device=config.device),
        validate=validate,
        monitor=monitor,
        callbacks=callbacks,
        batch_size=lambda batch: len(batch[1]),
    )
    started = time.perf_counter()
    summary = loop.fit()
    model.eval()
    best = monitor.best_record
    val = dict(best.val) if best is not None else validate(summary.epochs_run - 1)
    return TrainedClassifier(
        model,
        config,
        slice_size,
        tuple(band_names),
        summary.best_epoch,
        val,
        summary.epochs_run,
        time.perf_counter() - started,
        summary.history,
    )


def _payload_fn(
    model: BandStandardised, config: TerrainTrainConfig, slice_size: int, band_names: tuple[str, ...]
) -> Callable[[Loop, EpochRecord], dict[str, Any]]:
    def payload(loop: Loop, record: EpochRecord) -> dict[str, Any]:
        return checkpoint_payload(model, config, slice_size, band_names, dict(record.val))

    return payload


def _optimizer(model: nn.Module, config: TerrainTrainConfig) -> torch.optim.Optimizer:
    params, lr, decay = model.parameters(), config.learning_rate, config.weight_decay
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=decay, nesterov=True)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=decay)
    return torch.optim.RMSprop(params, lr=lr, momentum=config.momentum, weight_decay=decay)


def _class_weights(y: np.ndarray) -> torch.Tensor:
    counts = np.bincount(y.astype(np.int64), minlength=2).astype(np.float64)
    return torch.tensor(len(y) / (2.0 * np.maximum(counts, 1.0)), dtype=torch.float32)


def _augment(x: torch.Tensor, generator: torch.Generator, gain: float) -> torch.Tensor:
    """One random flip / quarter-turn pattern per batch (the slices are square, nadir-looking) and a
    random gain per band and slice."""
    if gain > 0:
        x = x * (1.0 + gain * (2.0 * torch.rand(x.shape[0], x.shape[1], 1, 1, generator=generator) - 1.0))
    turns = int(torch.randint(0, 4, (1,), generator=generator))
    if bool(torch.randint(0, 2, (1,), generator=generator)):
        x = x.flip(-1)
    return torch.rot90(x, turns, dims=(-2, -1)) if turns else x


def _check_arrays(x: np.ndarray, y: np.ndarray, name: str, channels: int) -> None:
    if x.ndim != 4 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name} slices must be (N, C, s, s), got shape {x.shape}")
    if x.shape[1] != channels:
        raise ValueError(f"{name} slices have {x.shape[1]} bands, the band names {channels}")
    if len(x) == 0 or len(x) != len(y):
        raise ValueError(f"{name}: {len(x)} slices and {len(y)} labels (need the same number, at least one)")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{name} labels must be 0 (not open pit) or 1 (open pit)")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} slices hold NaN or infinite values")
