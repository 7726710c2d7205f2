"""Training loop: accumulation, warm-up + cosine LR, EMA, AMP on CUDA, clipping, resume, logs.

A run writes into ``config.out_dir``: ``config.json``, ``results.csv`` (one row per epoch with
box/cls/dfl for the one-to-many (om) and one-to-one (oo) branches, val metrics and lr),
``last.pt`` and ``best.pt`` (each carrying the full config), and PNG plots at the end.
Loss convention (YOLOv8/v10): the summed loss terms are multiplied by the batch size and
gradients are accumulated to ``nominal_batch`` images, so ``lr0`` means what it means there.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.datasets.detection import DetectionDataset, collate_detection
from mineguard.data.transforms import AugmentConfig
from mineguard.engine.config import TrainConfig, load_train_config
from mineguard.engine.ema import ModelEMA
from mineguard.engine.optim import build_sgd, cosine_lr, warmup_factor
from mineguard.engine.validator import ValidationResult, validate
from mineguard.models import get_model
from mineguard.models.checkpoint import read_checkpoint, save_checkpoint
from mineguard.runtime.inference import resolve_device

LOGGER = logging.getLogger(__name__)
LOSS_TERMS = ("box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo")


@dataclass(frozen=True)
class TrainSummary:
    run_dir: Path
    best_checkpoint: Path
    last_checkpoint: Path
    epochs_run: int
    best_epoch: int
    best_fitness: float
    final: ValidationResult | None


def seed_everything(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if deterministic:
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


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
        self.model = get_model(config.model, **self.model_config).to(self.device)
        self.model.head.reset_bias(config.img_size)

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

    def fit(self) -> TrainSummary:
        cfg = self.config
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.json").write_text(json.dumps(cfg.dump(), indent=2))
        optimizer = build_sgd(
            self.model, lr=cfg.lr0, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=cfg.weight_decay
        )
        ema = ModelEMA(self.model, decay=cfg.ema_decay) if cfg.ema else None
        use_amp = cfg.amp and self.device.type == "cuda"
        scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
        start_epoch, best_fitness, best_epoch, step = 0, -1.0, -1, 0
        if self.resume_from is not None:
            ckpt = read_checkpoint(self.resume_from)
            self.model.load_state_dict(ckpt["model_raw"])
            optimizer.load_state_dict(ckpt["optimizer"])
            if ema is not None and ckpt.get("ema_updates") is not None:
                ema.module.load_state_dict(ckpt["model"])
                ema.updates = ckpt["ema_updates"]
            start_epoch = ckpt["epoch"] + 1
            best_fitness, best_epoch, step = ckpt["best_fitness"], ckpt["best_epoch"], ckpt["step"]
            LOGGER.info("resuming %s from epoch %d", self.resume_from, start_epoch)

        batches = math.ceil(len(self.train_set) / cfg.batch_size)
        accumulate = max(round(cfg.nominal_batch / cfg.batch_size), 1)
        total_iterations = batches * cfg.epochs
        warmup_iterations = min(
            max(round(cfg.warmup_epochs * batches), 100 if cfg.warmup_epochs else 0), total_iterations // 2
        )
        csv_path = self.run_dir / "results.csv"
        last_path, best_path = self.run_dir / "last.pt", self.run_dir / "best.pt"
        epoch = start_epoch - 1
        for epoch in range(start_epoch, cfg.epochs):
            self.model.train()
            sums = dict.fromkeys(LOSS_TERMS, 0.0)
            started = time.time()
            bar = tqdm(
                self._loader(epoch),
                total=batches,
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                dynamic_ncols=True,
                leave=False,
                disable=None,
            )
            optimizer.zero_grad(set_to_none=True)
            for i, batch in enumerate(bar):
                iteration = epoch * batches + i
                lr = cosine_lr(iteration / total_iterations, lr0=cfg.lr0, lrf=cfg.lrf)
                factor = warmup_factor(iteration, warmup_iterations)
                for group in optimizer.param_groups:
                    group["lr"] = lr * factor
                    group["momentum"] = cfg.warmup_momentum + (cfg.momentum - cfg.warmup_momentum) * factor
                images = batch.images.to(self.device, non_blocking=True)
                targets = batch.targets.to(self.device)
                with torch.autocast(self.device.type, enabled=use_amp):
                    terms = self.model(images, targets)
                loss = sum(terms.values()) * images.shape[0]
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch + 1}, batch {i}")
                scaler.scale(loss).backward()
                if (i + 1) % accumulate == 0 or i + 1 == batches:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                    scaler.step(optimizer)
                    scaler.update()
                    optimizer.zero_grad(set_to_none=True)
                    step += 1
                    if ema is not None:
                        ema.update(self.model)
                for k in LOSS_TERMS:
                    sums[k] += float(terms[k].detach())
                bar.set_postfix({k: f"{sums[k] / (i + 1):.3f}" for k in LOSS_TERMS})
            bar.close()
            eval_model = ema.module if ema is not None else self.model
            row = {"epoch": epoch + 1, **{f"train/{k}": sums[k] / batches for k in LOSS_TERMS}}
            result = None
            if self.val_set is not None and ((epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs):
                result = validate(eval_model, self.val_set, self.names, batch_size=cfg.batch_size, device=self.device)
                m = result.metrics
                row |= {
                    "metrics/precision": float(m.mean_precision),
                    "metrics/recall": float(m.mean_recall),
                    "metrics/mAP50": float(m.map50),
                    "metrics/mAP50-95": float(m.map50_95),
                }
            row |= {"lr": optimizer.param_groups[0]["lr"], "time_s": round(time.time() - started, 1)}
            self._append_csv(csv_path, row)
            LOGGER.info(
                "epoch %d/%d %s",
                epoch + 1,
                cfg.epochs,
                " ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch"),
            )
            score = fitness(result) if result is not None else -float(sum(row[f"train/{k}"] for k in LOSS_TERMS))
            payload = {
                "model_name": cfg.model,
                "model_config": self.model_config,
                "names": self.names,
                "model": eval_model.state_dict(),
                "model_raw": self.model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "ema_updates": ema.updates if ema else None,
                "epoch": epoch,
                "step": step,
                "best_fitness": max(best_fitness, score),
                "best_epoch": epoch if score > best_fitness else best_epoch,
                "train_config": cfg.dump(),
                "img_size": cfg.img_size,
            }
            save_checkpoint(last_path, payload)
            if score > best_fitness:
                best_fitness, best_epoch = score, epoch
                save_checkpoint(best_path, {k: v for k, v in payload.items() if k not in ("optimizer", "model_raw")})
        return TrainSummary(self.run_dir, best_path, last_path, epoch + 1, best_epoch + 1, best_fitness, None)

    @staticmethod
    def _append_csv(path: Path, row: dict[str, float]) -> None:
        exists = path.is_file()
        if exists:
            with path.open() as f:
                header = next(csv.reader(f), [])
            for key in row:
                if key not in header:
                    header.append(key)
        else:
            header = list(row)
        rows = list(csv.DictReader(path.open())) if exists else []
        rows.append({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in row.items()})
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)


def resume_config(checkpoint: Path) -> TrainConfig:
    """The config a run was started with, read back from its checkpoint."""
    return load_train_config(read_checkpoint(checkpoint)["train_config"], source=str(checkpoint))
