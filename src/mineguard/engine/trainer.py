"""Training loop: accumulation, warm-up + cosine LR, EMA, AMP on CUDA, clipping, resume, logs.

A run writes into ``config.out_dir``: ``config.json``, ``results.csv`` (one row per epoch with
the model's loss terms — ``model.loss_terms``: box/cls/dfl of the one-to-many (om) and one-to-one
(oo) branches for YOLOv10, box/conf/cls for YOLOv3 — val metrics and lr),
``last.pt`` and ``best.pt`` (each carrying the full config), and PNG plots at the end.
Loss convention (YOLOv8/v10): the summed loss terms are multiplied by the batch size and
gradients are accumulated to ``nominal_batch`` images, so ``lr0`` means what it means there.
A model that fits itself to the data (``FitsData``: YOLOv3's anchors) is fitted to the training
boxes before training; what it fitted is saved in ``model_config`` with every checkpoint.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.datasets.detection import DetectionBatch, DetectionDataset, collate_detection
from mineguard.data.transforms import AugmentConfig
from mineguard.engine.config import TrainConfig, load_train_config
from mineguard.engine.ema import ModelEMA
from mineguard.engine.loop import (
    EMA,
    Callback,
    Checkpoint,
    CsvLog,
    EpochLog,
    EpochRecord,
    Loop,
    LoopConfig,
    Monitor,
    ParamSchedule,
    Progress,
    seed_everything,
)
from mineguard.engine.optim import build_sgd, cosine_lr, warmup_factor
from mineguard.engine.validator import ValidationResult, validate
from mineguard.models import get_model
from mineguard.models.checkpoint import read_checkpoint
from mineguard.models.zoo import FitsData
from mineguard.runtime.inference import resolve_device

LOGGER = logging.getLogger(__name__)
LOSS_TERMS = ("box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo")  # YOLOv10's; each model has its own


@dataclass(frozen=True)
class TrainSummary:
    run_dir: Path
    best_checkpoint: Path
    last_checkpoint: Path
    epochs_run: int
    best_epoch: int
    best_fitness: float
    final: ValidationResult | None


def fitness(result: ValidationResult) -> float:
    """Model selection score: 0.1·mAP50 + 0.9·mAP50-95 (as in the YOLO family)."""
    m = result.metrics
    return 0.1 * float(m.map50) + 0.9 * float(m.map50_95)


class Trainer:
    """Train one detector from a ``TrainConfig`` (or resume a run from its ``last.pt``)."""

    def __init__(self, config: TrainConfig, *, resume_from: Path | None = None) -> None:
        self.config = config
        self.resume_from = resume_from
        self.run_dir = config.run_dir
        self.device = resolve_device(config.device)
        seed_everything(config.seed, config.deterministic)
        spec = load_data_yaml(config.data)
        self.names = list(spec.names)
        if "train" not in spec.splits:
            raise ValueError(f"{config.data}: no 'train' split — add a train: entry")
        train_paths = list(spec.splits["train"])[: config.max_train_images]
        val_paths = list(spec.splits.get("val") or spec.splits.get("valid") or [])
        a = config.augment
        augment = AugmentConfig(
            flip=a.flip,
            crop=a.crop,
            brightness=a.brightness,
            brightness_gain=a.brightness_gain,
            blur=a.blur,
            mosaic=a.mosaic,
            underground=a.underground,
        )
        self.train_set = DetectionDataset(
            train_paths, self.names, img_size=config.img_size, augment=augment, seed=config.seed
        )
        self.val_set = DetectionDataset(val_paths, self.names, img_size=config.img_size) if val_paths else None
        for ds, split in ((self.train_set, "train"), (self.val_set, "val")):
            if ds is not None and (ds.issues or ds.skipped):
                LOGGER.warning(
                    "%s: %d label issues, %d images skipped (run 'mineguard data validate')",
                    split,
                    len(ds.issues),
                    len(ds.skipped),
                )
        if len(self.train_set) == 0:
            raise ValueError(f"{config.data}: the train split has no usable images")
        self.model_config = {"num_classes": len(self.names), **config.model_kwargs}
        self.model = get_model(config.model, **self.model_config)
        if isinstance(self.model, FitsData) and not set(self.model.fitted_kwargs) & set(config.model_kwargs):
            fitted = self.model.fit_to_data(torch.from_numpy(self.train_set.box_sizes()), seed=config.seed)
            self.model_config |= fitted
            LOGGER.info("%s fitted to the training boxes: %s", config.model, fitted)
        self.model = self.model.to(self.device)
        self.model.head.reset_bias(config.img_size)
        self.loss_terms: tuple[str, ...] = tuple(self.model.loss_terms)

    def _loader(self, epoch: int) -> DataLoader:
        generator = torch.Generator().manual_seed(self.config.seed + epoch)
        self.train_set.set_epoch(epoch)
        return DataLoader(
            self.train_set,
            batch_size=self.config.batch_size,
            shuffle=True,
            generator=generator,
            num_workers=self.config.workers,
            collate_fn=collate_detection,
            drop_last=False,
            persistent_workers=False,
        )

    def step(self, batch: DetectionBatch) -> dict[str, torch.Tensor]:
        """One batch's loss to back-propagate (the model's terms summed, times the batch) and each term."""
        images = batch.images.to(self.device, non_blocking=True)
        terms = self.model(images, batch.targets.to(self.device))
        return {"loss": sum(terms.values()) * images.shape[0], **{k: terms[k] for k in self.loss_terms}}

    def fit(self) -> TrainSummary:
        cfg = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.json").write_text(json.dumps(cfg.dump(), indent=2))
        optimizer = build_sgd(
            self.model, lr=cfg.lr0, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=cfg.weight_decay
        )
        ema = ModelEMA(self.model, decay=cfg.ema_decay) if cfg.ema else None
        eval_model = ema.module if ema is not None else self.model
        batches = math.ceil(len(self.train_set) / cfg.batch_size)
        total_iterations = batches * cfg.epochs
        warmup_iterations = min(
            max(round(cfg.warmup_epochs * batches), 100 if cfg.warmup_epochs else 0), total_iterations // 2
        )

        def schedule(epoch: int, iteration: int) -> dict[str, float]:
            factor = warmup_factor(iteration, warmup_iterations)
            lr = cosine_lr(iteration / total_iterations, lr0=cfg.lr0, lrf=cfg.lrf)
            return {"lr": lr * factor, "momentum": cfg.warmup_momentum + (cfg.momentum - cfg.warmup_momentum) * factor}

        def validate_epoch(epoch: int) -> dict[str, float]:
            if self.val_set is None or not ((epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs):
                return {}
            m = validate(eval_model, self.val_set, self.names, batch_size=cfg.batch_size, device=self.device).metrics
            return {
                "metrics/precision": float(m.mean_precision),
                "metrics/recall": float(m.mean_recall),
                "metrics/mAP50": float(m.map50),
                "metrics/mAP50-95": float(m.map50_95),
            }

        def payload(loop: Loop, record: EpochRecord) -> dict[str, Any]:
            return {
                "model_name": cfg.model,
                "model_config": self.model_config,
                "names": self.names,
                "model": eval_model.state_dict(),
                "ema_updates": ema.updates if ema else None,
                "epoch": record.epoch,
                "step": loop.step,
                "best_fitness": monitor.best,
                "best_epoch": monitor.best_epoch if monitor.best_epoch is not None else -1,
                "train_config": cfg.dump(),
                "img_size": cfg.img_size,
            }

        monitor = Monitor(fitness_of_record, mode="max")
        checkpoint = Checkpoint(self.run_dir, payload=payload)
        callbacks: list[Callback] = [ParamSchedule(schedule, every="batch", batches_per_epoch=batches)]
        if ema is not None:
            callbacks.append(EMA(ema))
        callbacks += [
            Progress(batches, keys=self.loss_terms),
            CsvLog(self.run_dir / "results.csv", row=_results_row),
            EpochLog("detector", LOGGER),
            checkpoint,
        ]
        loop = Loop(
            self.model,
            optimizer,
            self.step,
            batches=self._loader,
            config=LoopConfig(
                epochs=cfg.epochs,
                accumulate=max(round(cfg.nominal_batch / cfg.batch_size), 1),
                grad_clip=cfg.grad_clip,
                amp=cfg.amp,
                device=self.device,
                check_finite=True,
            ),
            validate=validate_epoch,
            monitor=monitor,
            callbacks=callbacks,
        )
        resume = None
        if self.resume_from is not None:
            resume = _loop_state(read_checkpoint(self.resume_from))
            LOGGER.info("resuming %s from epoch %d", self.resume_from, resume["epoch"] + 1)
        summary = loop.fit(resume_from=resume)
        best_epoch = -1 if monitor.best_epoch is None else monitor.best_epoch
        return TrainSummary(
            self.run_dir, checkpoint.best, checkpoint.last, summary.epochs_run, best_epoch + 1, monitor.best, None
        )


def fitness_of_record(record: EpochRecord) -> float:
    """``fitness`` of a validated epoch; without validation, minus the summed training losses."""
    if "metrics/mAP50" in record.val:
        return 0.1 * record.val["metrics/mAP50"] + 0.9 * record.val["metrics/mAP50-95"]
    return -float(sum(v for k, v in record.train.items() if k != "loss"))


def _results_row(record: EpochRecord) -> dict[str, float]:
    return {
        "epoch": record.epoch + 1,
        **{f"train/{k}": v for k, v in record.train.items() if k != "loss"},
        **record.val,
        "lr": record.lr,
        "time_s": round(record.seconds, 1),
    }


def logged_time(run_dir: Path) -> tuple[int, float]:
    """Epochs a run has logged and their seconds (training and each epoch's validation), from its ``results.csv``."""
    with (Path(run_dir) / "results.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    return len(rows), sum(float(row["time_s"]) for row in rows)


def _loop_state(ckpt: dict[str, Any]) -> dict[str, Any]:
    """The loop state of a ``last.pt``; one written before the shared loop carried its parts at the top level."""
    if "loop" in ckpt:
        return ckpt["loop"]
    callbacks = {}
    if ckpt.get("ema_updates") is not None:
        callbacks["EMA"] = {"module": ckpt["model"], "updates": ckpt["ema_updates"]}
    best_epoch = ckpt["best_epoch"]
    return {
        "model": ckpt["model_raw"],
        "optimizer": ckpt["optimizer"],
        "epoch": ckpt["epoch"],
        "step": ckpt["step"],
        "monitor": {"best": ckpt["best_fitness"], "best_epoch": None if best_epoch < 0 else best_epoch, "stale": 0},
        "callbacks": callbacks,
    }


def resume_config(checkpoint: Path) -> TrainConfig:
    """The config a run was started with, read back from its checkpoint."""
    return load_train_config(read_checkpoint(checkpoint)["train_config"], source=str(checkpoint))
