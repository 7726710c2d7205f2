"""Train, run, save and load the cross-modal fusion model on a ``MultimodalSet``.

- ``Normaliser``: per-channel median and spread (IQR / 1.35, floored) of the TRAINING windows'
  observed readings; vision counts become ``log1p``. Lost readings become 0 with ``observed`` 0.
- ``embed_texts``: a text embedder (``mineguard.warning.text`` registry: ``fit``/``transform``)
  turns each distinct text into a vector once; "" (no text record) is a zero vector and the
  text modality is absent for that sample anyway.
- ``train_fusion``: AdamW, multi-task loss = class-weighted cross-entropy on the hazard +
  ``risk_weight`` x class-weighted cross-entropy on the risk level, modality dropout on the
  training batches, model selection on the validation hazard macro-F1 (early stop by ``patience``).
- ``predict`` returns class probabilities, optionally with modalities removed at test time.
- ``save_fusion`` / ``load_fusion``: one ``.pt`` file (config, weights, normaliser, text embedder
  name, metrics), written atomically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, f1_score, recall_score

from mineguard.engine.loop import (
    EarlyStopping,
    EpochRecord,
    KeepBest,
    Loop,
    LoopConfig,
    Monitor,
    OnEpoch,
    TorchScheduler,
    index_batches,
    seed_everything,
)
from mineguard.models.checkpoint import read_checkpoint, save_checkpoint
from mineguard.warning.fusion import CrossModalFusion, FusionConfig, class_weights, modality_dropout
from mineguard.warning.multimodal import HAZARDS, MODALITIES, RISK_LEVELS, MultimodalSet


class TextEmbedder(Protocol):  # the part of ``mineguard.warning.text_embedders.TextEmbedder`` used here
    name: str

    def fit(self, texts: Sequence[str]) -> TextEmbedder: ...

    def transform(self, texts: Sequence[str]) -> np.ndarray: ...

    def config(self) -> dict: ...

    def state_arrays(self) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class Normaliser:
    center: np.ndarray  # (S,)
    scale: np.ndarray  # (S,)

    @classmethod
    def fit(cls, data: MultimodalSet, *, min_scale: float = 1e-3) -> Normaliser:
        values = data.sensors.reshape(-1, data.sensors.shape[-1])
        center = np.zeros(values.shape[1])
        scale = np.ones(values.shape[1])
        for k in range(values.shape[1]):
            seen = values[:, k][np.isfinite(values[:, k])]
            if seen.size:
                q25, q50, q75 = np.percentile(seen, [25, 50, 75])
                center[k] = q50
                scale[k] = max((q75 - q25) / 1.35, float(seen.std()) * 0.1, min_scale)
        return cls(center.astype(np.float32), scale.astype(np.float32))


@dataclass(frozen=True)
class FusionInputs:
    sensors: torch.Tensor  # (N, T, S) normalised, 0 where not observed
    observed: torch.Tensor  # (N, T, S) 0/1
    vision: torch.Tensor  # (N, T, V) log1p counts
    text: torch.Tensor  # (N, D)
    present: torch.Tensor  # (N, 3) bool
    hazard: torch.Tensor  # (N,) int64
    risk: torch.Tensor  # (N,) int64

    def __len__(self) -> int:
        return int(self.hazard.shape[0])

    def batch(self, idx: torch.Tensor) -> FusionInputs:
        return FusionInputs(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def embed_texts(texts: Sequence[str], embedder: TextEmbedder) -> np.ndarray:
    """(N, D) float32; each distinct non-empty text embedded once, "" -> zeros."""
    distinct = sorted({t for t in texts if t})
    if not distinct:
        raise ValueError("no sample has a text record: cannot size the text embedding")
    vectors = np.asarray(embedder.transform(distinct), dtype=np.float32)
    row = {t: i for i, t in enumerate(distinct)}
    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    for i, t in enumerate(texts):
        if t:
            out[i] = vectors[row[t]]
    return out


def make_inputs(data: MultimodalSet, text_vectors: np.ndarray, normaliser: Normaliser) -> FusionInputs:
    if text_vectors.shape[0] != len(data):
        raise ValueError(f"text_vectors has {text_vectors.shape[0]} rows for {len(data)} samples")
    observed = np.isfinite(data.sensors)
    sensors = np.where(observed, (data.sensors - normaliser.center) / normaliser.scale, 0.0)
    sensors = np.clip(sensors, -50.0, 50.0)
    return FusionInputs(
        torch.as_tensor(sensors, dtype=torch.float32),
        torch.as_tensor(observed, dtype=torch.float32),
        torch.as_tensor(np.log1p(np.maximum(data.vision, 0.0)), dtype=torch.float32),
        torch.as_tensor(text_vectors, dtype=torch.float32),
        torch.as_tensor(data.present, dtype=torch.bool),
        torch.as_tensor(data.hazard, dtype=torch.int64),
        torch.as_tensor(data.risk, dtype=torch.int64),
    )


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    modality_dropout: float = 0.3
    risk_weight: float = 1.0
    class_weight_power: float = 0.5  # 1 = inverse frequency, 0 = unweighted
    patience: int = 8
    seed: int = 0


@dataclass
class FusionRun:
    model: CrossModalFusion
    normaliser: Normaliser
    text_embedder: str
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    embedder: TextEmbedder | None = None  # the fitted text embedder, saved with the model when set
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Predictions:
    hazard: np.ndarray  # (N, len(HAZARDS)) probabilities
    risk: np.ndarray  # (N, len(RISK_LEVELS))

    @property
    def hazard_score(self) -> np.ndarray:
        """P(some hazard is developing) = 1 - P(none): the alarm score."""
        return 1.0 - self.hazard[:, 0]


def _loss(
    model: CrossModalFusion,
    b: FusionInputs,
    present: torch.Tensor,
    w_h: torch.Tensor,
    w_r: torch.Tensor,
    risk_weight: float,
) -> torch.Tensor:
    hazard, risk = model(b.sensors, b.observed, b.vision, b.text, present)
    return F.cross_entropy(hazard, b.hazard, weight=w_h) + risk_weight * F.cross_entropy(risk, b.risk, weight=w_r)


def train_fusion(
    train: FusionInputs,
    val: FusionInputs,
    model_config: FusionConfig,
    config: TrainConfig,
    *,
    normaliser: Normaliser,
    text_embedder: str,
    on_epoch: Callable[[dict], None] | None = None,
    model: CrossModalFusion | None = None,
) -> FusionRun:
    """``model``: start from these weights (e.g. pre-trained encoders) instead of a fresh ``model_config`` model."""
    seed_everything(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    if model is None:
        model = CrossModalFusion(model_config)
    elif model.config != model_config:
        raise ValueError(f"the starting model's config {model.config} is not {model_config}")
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(config.epochs, 1))
    power = config.class_weight_power
    w_h = torch.as_tensor(class_weights(train.hazard.numpy(), len(HAZARDS), power=power))
    w_r = torch.as_tensor(class_weights(train.risk.numpy(), len(RISK_LEVELS), power=power))
    run = FusionRun(model, normaliser, text_embedder)

    def step(idx: torch.Tensor) -> dict[str, torch.Tensor]:
        b = train.batch(idx)
        present = modality_dropout(b.present, config.modality_dropout, gen)
        return {"loss": _loss(model, b, present, w_h, w_r, config.risk_weight)}

    def record(epoch: EpochRecord) -> None:
        row = {"epoch": epoch.epoch + 1, "train_loss": epoch.train.get("loss", 0.0)}
        run.history.append(row | {f"val_{k}": v for k, v in epoch.val.items()})
        if on_epoch:
            on_epoch(run.history[-1])

    monitor = Monitor("hazard_macro_f1", mode="max")
    summary = Loop(
        model,
        opt,
        step,
        batches=lambda epoch: index_batches(len(train), config.batch_size, gen),
        config=LoopConfig(epochs=config.epochs, grad_clip=5.0),
        validate=lambda epoch: evaluate(predict(model, val), val),
        monitor=monitor,
        callbacks=[TorchScheduler(sched), OnEpoch(record), KeepBest(), EarlyStopping(config.patience)],
        batch_size=len,
    ).fit()
    run.best_epoch = 0 if monitor.best_epoch is None else monitor.best_epoch + 1
    model.eval()
    run.seconds = summary.seconds
    return run


@torch.no_grad()
def predict(
    model: CrossModalFusion, inputs: FusionInputs, *, drop: Sequence[str] = (), batch_size: int = 512
) -> Predictions:
    """Class probabilities; ``drop`` names modalities removed at test time (as if lost)."""
    unknown = set(drop) - set(MODALITIES)
    if unknown:
        raise ValueError(f"unknown modalities {sorted(unknown)}; choose from {MODALITIES}")
    keep = torch.tensor([m not in drop for m in MODALITIES])
    was_training = model.training
    model.eval()
    hazards, risks = [], []
    for idx in torch.arange(len(inputs)).split(batch_size):
        b = inputs.batch(idx)
        h, r = model(b.sensors, b.observed, b.vision, b.text, b.present & keep)
        hazards.append(h.softmax(-1))
        risks.append(r.softmax(-1))
    model.train(was_training)
    return Predictions(torch.cat(hazards).numpy(), torch.cat(risks).numpy())


EVALUATION_KEYS = ("hazard_accuracy", "hazard_macro_f1", "risk_accuracy", "risk_macro_f1", "alarm_recall")


def evaluate(pred: Predictions, inputs: FusionInputs) -> dict[str, float]:
    """Hazard identification and risk-level accuracy / macro-F1 (over the classes present in the labels), and the
    recall of the alarm risk level; ``sklearn.metrics``, NaN where there is nothing to score."""
    h_true, r_true = inputs.hazard.numpy(), inputs.risk.numpy()
    h_pred, r_pred = pred.hazard.argmax(1), pred.risk.argmax(1)
    alarm = len(RISK_LEVELS) - 1
    alarm_rows = r_true == alarm
    if h_true.size == 0:
        return dict.fromkeys(EVALUATION_KEYS, math.nan)
    return {
        "hazard_accuracy": float(accuracy_score(h_true, h_pred)),
        "hazard_macro_f1": float(f1_score(h_true, h_pred, labels=np.unique(h_true), average="macro", zero_division=0)),
        "risk_accuracy": float(accuracy_score(r_true, r_pred)),
        "risk_macro_f1": float(f1_score(r_true, r_pred, labels=np.unique(r_true), average="macro", zero_division=0)),
        "alarm_recall": float(recall_score(alarm_rows, r_pred == alarm)) if alarm_rows.any() else math.nan,
    }


def save_fusion(run: FusionRun, path: Path, *, metrics: dict | None = None) -> Path:
    path = Path(path)
    payload = {
        "kind": "mineguard.fusion",
        "config": run.model.config.as_dict(),
        "state": run.model.state_dict(),
        "center": torch.as_tensor(run.normaliser.center),
        "scale": torch.as_tensor(run.normaliser.scale),
        "text_embedder": run.text_embedder,
        "best_epoch": run.best_epoch,
        "history": run.history,
        "metrics": metrics or run.metrics,
    }
    if run.embedder is not None:
        payload["text_config"] = run.embedder.config()
        payload["text_state"] = run.embedder.state_arrays()
    save_checkpoint(path, payload)
    return path


def load_fusion(path: Path) -> FusionRun:
    """A model saved by ``save_fusion``; a missing or foreign file raises ``CheckpointError`` (a ``ValueError``)."""
    ckpt = read_checkpoint(
        path,
        required=("kind", "config", "state", "center", "scale", "text_embedder"),
        kind="fusion model",
        missing_hint="train one with `mineguard warn train`",
    )
    if ckpt["kind"] != "mineguard.fusion":
        raise ValueError(f"{path} is not a MineGuard fusion model (train one with `mineguard warn train`)")
    cfg = dict(ckpt["config"])
    cfg["modalities"] = tuple(cfg["modalities"])
    model = CrossModalFusion(FusionConfig(**cfg))
    model.load_state_dict(ckpt["state"])
    model.eval()
    normaliser = Normaliser(ckpt["center"].numpy(), ckpt["scale"].numpy())
    run = FusionRun(
        model,
        normaliser,
        ckpt["text_embedder"],
        list(ckpt.get("history", [])),
        ckpt.get("best_epoch", 0),
        metrics=dict(ckpt.get("metrics", {})),
    )
    if "text_config" in ckpt:
        from mineguard.warning.text_embedders import get_text_embedder

        config = {k: tuple(v) if isinstance(v, list) else v for k, v in ckpt["text_config"].items()}
        run.embedder = get_text_embedder(ckpt["text_embedder"], **config).load_state_arrays(ckpt["text_state"])
    return run


__all__ = [
    "FusionInputs",
    "FusionRun",
    "Normaliser",
    "Predictions",
    "TrainConfig",
    "embed_texts",
    "evaluate",
    "load_fusion",
    "make_inputs",
    "predict",
    "save_fusion",
    "train_fusion",
]
