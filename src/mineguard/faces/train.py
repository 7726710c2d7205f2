"""Training a face classifier whose penultimate layer is the miner's embedding (seed 002 §3).

The paper's recipe is the default: SGD, batch 64, initial learning rate 0.01 decaying as
``lr_e = lr0 * exp(-beta * e)`` with the natural decay index beta = 0.05, joint softmax + center
loss with lambda = 0.01 (Eq. 21). The paper trains 150 epochs on CelebA; on this CPU the
att_orl runs use fewer (see ``docs/results/faces.md``). Transfer learning (Table 3): start from
a checkpoint (``init_from``) and freeze its first ``freeze_stages`` stages.

Images go through ``faces.pipeline.FacePreparer`` (find, level and crop the face, grey,
``img_size`` square) exactly as at enrolment; augmentation is a
horizontal flip, brightness/contrast jitter, a small shift and, with ``dust_p`` > 0, synthetic
coal dust (``faces.dust.CoalDust``). Best and last checkpoints carry the config and class names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mineguard.engine.loop import Checkpoint, CsvLog, EpochRecord, Loop, LoopConfig, Monitor, ParamSchedule, Progress
from mineguard.faces.embed import load_face_checkpoint, preprocess
from mineguard.faces.pipeline import FacePreparer
from mineguard.losses.arcface import arcface_loss
from mineguard.losses.center import CenterLoss, joint_loss
from mineguard.models import get_model


class FaceTrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())

    model: str = "dsr-inception"
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    img_size: int = Field(112, ge=32)
    in_channels: int = Field(1, ge=1, le=3)
    epochs: int = Field(150, ge=1)
    batch_size: int = Field(64, ge=1)
    lr0: float = Field(0.01, gt=0)
    decay: float = Field(0.05, ge=0, description="natural decay index beta: lr = lr0 * exp(-beta * epoch)")
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(5e-4, ge=0)
    center_lambda: float = Field(0.01, ge=0, description="lambda of Eq. 21")
    center_alpha: float = Field(0.5, gt=0, le=1, description="center update rate")
    dust_p: float = Field(0.0, ge=0, le=1, description="probability of synthetic coal dust on a training image")
    light_p: float = Field(0.0, ge=0, le=1, description="probability of synthetic side / low light (faces.light)")
    illumination: str = Field("none", description="normalisation after augmentation (faces.illumination)")
    loss: Literal["softmax-center", "arcface"] = Field("softmax-center", description="seed 002 Eq. 21 or ArcFace")
    arc_scale: float = Field(30.0, gt=0, description="ArcFace s")
    arc_margin: float = Field(0.3, ge=0, lt=1.5, description="ArcFace additive angular margin m, radians")
    warmup_epochs: int = Field(0, ge=0, description="linear learning-rate warm-up from lr0 / 10")
    freeze_stages: int = Field(0, ge=0, description="transfer strategy: freeze this many leading stages")
    init_from: str | None = Field(None, description="checkpoint whose weights start the model (transfer)")
    seed: int = 0
    threads: int | None = Field(None, ge=1)
    out_dir: str = "runs/face/train"

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FaceDataset(Dataset):
    """``(path, label)`` items of face crops; ``augment`` applies flip/jitter/shift/dust."""

    def __init__(
        self,
        items: Sequence[tuple[str, int]],
        *,
        size: int,
        in_channels: int = 1,
        augment: bool = False,
        dust_p: float = 0.0,
        light_p: float = 0.0,
        illumination: str = "none",
        seed: int = 0,
    ) -> None:
        self.items, self.size, self.in_channels, self.augment = list(items), size, in_channels, augment
        preparer = FacePreparer(size=size)  # the same crop as enrolment and identification
        self.images = [preparer.load(path).image for path, _ in self.items]  # small sets: kept in memory
        self.normaliser = FacePreparer(size=size, illumination=illumination)  # after augmentation, as in the product
        self.rng = np.random.default_rng(seed)
        self.light = None
        if light_p > 0:
            from mineguard.faces.light import SideLight

            self.light = SideLight(p=light_p)
        self.dust = None
        if dust_p > 0:
            from mineguard.faces.dust import CoalDust

            self.dust = CoalDust(severity=(0.0, 1.0), p=dust_p, seed=seed)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index]
        if self.augment:
            image = self._augment(image)
        image = self.normaliser.normalise(image)
        return preprocess(image, self.size, self.in_channels), self.items[index][1]

    def _augment(self, image: np.ndarray) -> np.ndarray:
        import cv2

        rng = self.rng
        out = image[:, ::-1] if rng.random() < 0.5 else image
        h, w = out.shape
        shift = np.float32([[1, 0, rng.uniform(-0.06, 0.06) * w], [0, 1, rng.uniform(-0.06, 0.06) * h]])
        out = cv2.warpAffine(np.ascontiguousarray(out), shift, (w, h), borderMode=cv2.BORDER_REFLECT)
        gain, bias = rng.uniform(0.75, 1.25), rng.uniform(-25, 25)
        out = np.clip(out.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)
        if self.light is not None:
            out = self.light(out, rng)
        if self.dust is not None:
            out = self.dust(out)
        return out


def _lr(config: FaceTrainConfig, epoch: int) -> float:
    if epoch < config.warmup_epochs:  # linear from lr0 / 10 to lr0
        return config.lr0 * (0.1 + 0.9 * epoch / config.warmup_epochs)
    return config.lr0 * math.exp(-config.decay * (epoch - config.warmup_epochs))


def build_face_model(config: FaceTrainConfig, num_classes: int) -> nn.Module:
    model = get_model(config.model, num_classes=num_classes, in_channels=config.in_channels, **config.model_kwargs)
    if config.init_from:
        source, _ = load_face_checkpoint(config.init_from)
        state = {k: v for k, v in source.state_dict().items() if not k.startswith("classifier.")}
        target = model.state_dict()
        misfit = [k for k, v in state.items() if k not in target or target[k].shape != v.shape]
        if misfit:
            raise ValueError(
                f"{config.init_from}: its weights do not fit {config.model!r} {config.model_kwargs} "
                f"({len(misfit)} tensors, e.g. {misfit[:3]}) — start from a checkpoint of the same "
                "model and width"
            )
        model.load_state_dict(state, strict=False)
    if config.freeze_stages:
        from mineguard.models.face import freeze_stages

        freeze_stages(model, config.freeze_stages)
    return model


class FaceTrainer:
    """``fit(train_items, val_items, class_names)`` -> path of best.pt (best validation accuracy)."""

    def __init__(self, config: FaceTrainConfig) -> None:
        self.config = config
        self.out = Path(config.out_dir)

    def fit(self, train: Sequence[tuple[str, int]], val: Sequence[tuple[str, int]], class_names: list[str]) -> Path:
        if not train:
            raise ValueError("no training images — check the data folder and the split")
        threads = torch.get_num_threads()
        try:
            if self.config.threads:
                torch.set_num_threads(self.config.threads)
            return self._fit(train, val, class_names)
        finally:
            torch.set_num_threads(threads)  # the caller's setting, as it was

    def _fit(self, train: Sequence[tuple[str, int]], val: Sequence[tuple[str, int]], class_names: list[str]) -> Path:
        cfg = self.config
        torch.manual_seed(cfg.seed)
        model = build_face_model(cfg, len(class_names))
        with torch.no_grad():
            model.eval()
            dim = model.embed(torch.zeros(1, cfg.in_channels, cfg.img_size, cfg.img_size)).shape[1]
        center = CenterLoss(len(class_names), dim, alpha=cfg.center_alpha)
        params = [p for p in model.parameters() if p.requires_grad]
        optim = torch.optim.SGD(params, lr=cfg.lr0, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        g = torch.Generator().manual_seed(cfg.seed)
        train_set = FaceDataset(
            train,
            size=cfg.img_size,
            in_channels=cfg.in_channels,
            augment=True,
            dust_p=cfg.dust_p,
            light_p=cfg.light_p,
            illumination=cfg.illumination,
            seed=cfg.seed,
        )
        loader = DataLoader(
            train_set, batch_size=cfg.batch_size, shuffle=True, generator=g, drop_last=len(train) > cfg.batch_size
        )
        val_set = (
            FaceDataset(val, size=cfg.img_size, in_channels=cfg.in_channels, illumination=cfg.illumination)
            if val
            else None
        )
        counts = {"correct": 0, "seen": 0}

        def step(batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
            x, y = batch
            feats = model.embed(x)  # model.train(): frozen stages stay in eval mode (FaceClassifier.train)
            logits = model.classifier(feats)
            counts["correct"] += int((logits.argmax(1) == y).sum())
            counts["seen"] += len(y)
            if cfg.loss == "arcface":
                arc = arcface_loss(feats, model.classifier_weight(), y, scale=cfg.arc_scale, margin=cfg.arc_margin)
                return {"ce": arc, "center": arc.new_zeros(()), "total": arc}
            return joint_loss(logits, feats, y, center, lam=cfg.center_lambda)

        def epoch_batches(epoch: int) -> DataLoader:
            counts.update(correct=0, seen=0)
            return loader

        def validate(epoch: int) -> dict[str, float]:
            train_acc = counts["correct"] / max(counts["seen"], 1)
            return {"train_acc": train_acc, "val_acc": accuracy(model, val_set) if val_set is not None else math.nan}

        def payload(loop: Loop, record: EpochRecord) -> dict[str, Any]:
            return {
                "model_name": cfg.model,
                "model_config": {"num_classes": len(class_names), "in_channels": cfg.in_channels, **cfg.model_kwargs},
                "model": model.state_dict(),
                "train_config": cfg.dump(),
                "class_names": class_names,
                "epoch": record.epoch,
                "val_acc": record.val["val_acc"],
                "centers": center.centers.clone(),
                "img_size": cfg.img_size,
                "illumination": cfg.illumination,
            }

        def score(record: EpochRecord) -> float:
            return record.val["val_acc"] if val_set is not None else -record.train.get("total", math.nan)

        checkpoint = Checkpoint(self.out, payload=payload, best_without=("loop",))
        loop = Loop(
            model,
            optim,
            step,
            batches=epoch_batches,
            config=LoopConfig(epochs=cfg.epochs, loss_key="total"),
            validate=validate,
            monitor=Monitor(score, mode="max"),
            callbacks=[
                ParamSchedule(lambda epoch, _: {"lr": _lr(cfg, epoch)}),
                Progress(len(loader), keys=("ce", "center", "total")),
                CsvLog(self.out / "log.csv", row=_log_row),
                checkpoint,
            ],
            batch_size=lambda batch: len(batch[1]),
        )
        loop.fit()
        return checkpoint.best


def _log_row(record: EpochRecord) -> dict[str, float]:
    losses = [record.train.get(k, 0.0) for k in ("ce", "center", "total")]
    return {
        "epoch": record.epoch,
        "lr": record.lr,
        **dict(zip(("ce", "center", "total"), losses, strict=True)),
        "train_acc": record.val["train_acc"],
        "val_acc": record.val["val_acc"],
        "seconds": record.seconds,
    }


@torch.no_grad()
def accuracy(model: nn.Module, dataset: FaceDataset, batch_size: int = 64) -> float:
    model.eval()
    correct = 0
    for x, y in DataLoader(dataset, batch_size=batch_size):
        correct += int((model(x).argmax(1) == y).sum())
    return correct / max(len(dataset), 1)
