"""Callbacks of the shared training loop: schedules, EMA, best weights, early stop, checkpoints, logs, progress.

- ``ParamSchedule(fn, every="batch"|"epoch")``: sets optimiser settings (``lr``, ``momentum``) from
  ``fn(epoch, iteration)``; ``TorchScheduler`` steps a ``torch.optim.lr_scheduler`` after each epoch's batches.
- ``EMA``: a ``ModelEMA`` of the weights, updated after every optimiser step.
- ``KeepBest``: a copy of the weights of the monitor's best epoch, put back at the end.
- ``PreciseBatchNorm(batches)``: before validation, batch-norm statistics recomputed over training batches
  with the epoch's final weights (small or short runs: the running averages still carry their start values);
- ``EarlyStopping(patience)``: stop when the monitor has not improved for ``patience`` epochs;
  ``TimeLimit(seconds)``: stop after the epoch that passes a time budget.
- ``Checkpoint``: ``last.pt`` after every epoch (the task's payload + the loop state for a resume) and
  ``best.pt`` when the monitor improves.
- ``CsvLog`` / ``JsonLinesLog``: one row per epoch; ``EpochLog``: one log line per epoch; ``Progress``: a
  tqdm bar over the batches (hidden when the output is not a terminal); ``OnEpoch(fn)``: any per-epoch hook.
"""

from __future__ import annotations

import copy
import csv
import json
import logging
import math
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import torch
from tqdm import tqdm

from mineguard.engine.ema import ModelEMA
from mineguard.engine.loop.core import Callback, EpochRecord, Loop
from mineguard.models.checkpoint import save_checkpoint

LOGGER = logging.getLogger(__name__)


class ParamSchedule(Callback):
    """Before every batch (``every="batch"``) or epoch, set each parameter group's entries to ``fn(epoch,
    iteration)`` (e.g. ``{"lr": ..., "momentum": ...}``); ``iteration`` counts batches from the first epoch."""

    def __init__(
        self,
        fn: Callable[[int, int], Mapping[str, float]],
        every: Literal["batch", "epoch"] = "epoch",
        batches_per_epoch: int = 0,
    ) -> None:
        if every not in ("batch", "epoch"):
            raise ValueError(f"every must be 'batch' or 'epoch', got {every!r}")
        self.fn, self.every, self.batches_per_epoch = fn, every, batches_per_epoch

    def _apply(self, loop: Loop, epoch: int, iteration: int) -> None:
        settings = self.fn(epoch, iteration)
        for group in loop.optimizer.param_groups:
            group.update(settings)

    def on_epoch_start(self, loop: Loop, epoch: int) -> None:
        if self.every == "epoch":
            self._apply(loop, epoch, epoch * self.batches_per_epoch)

    def on_batch_start(self, loop: Loop, epoch: int, index: int) -> None:
        if self.every == "batch":
            self._apply(loop, epoch, epoch * self.batches_per_epoch + index)


class TorchScheduler(Callback):
    """``scheduler.step()`` once per epoch, after the training batches (before validation)."""

    def __init__(self, scheduler: torch.optim.lr_scheduler.LRScheduler) -> None:
        self.scheduler = scheduler

    def on_train_end(self, loop: Loop, epoch: int) -> None:
        self.scheduler.step()

    def state_dict(self) -> dict[str, Any]:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.scheduler.load_state_dict(dict(state))


class EMA(Callback):
    """Exponential moving average of the weights (``engine.ema.ModelEMA``), updated after every optimiser step."""

    def __init__(self, ema: ModelEMA) -> None:
        self.ema = ema

    def on_optimizer_step(self, loop: Loop) -> None:
        self.ema.update(loop.model)

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.ema.updates, "module": self.ema.module.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.ema.module.load_state_dict(state["module"])
        self.ema.updates = state["updates"]


class KeepBest(Callback):
    """Keep a copy of the weights whenever the loop's monitor improves and load it into the model at the end.

    ``from_start``: also copy the weights before training, so a run that never improves ends where it began."""

    def __init__(self, *, from_start: bool = False) -> None:
        self.from_start = from_start
        self.state: dict[str, torch.Tensor] | None = None

    def on_fit_start(self, loop: Loop) -> None:
        if loop.monitor is None:
            raise ValueError("KeepBest needs the loop's monitor (Loop(..., monitor=Monitor(...)))")
        if self.from_start and self.state is None:
            self.state = copy.deepcopy(loop.model.state_dict())

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        if loop.monitor is not None and loop.monitor.improved:
            self.state = copy.deepcopy(loop.model.state_dict())

    def on_fit_end(self, loop: Loop) -> None:
        if self.state is not None:
            loop.model.load_state_dict(self.state)

    def state_dict(self) -> dict[str, Any]:
        return {"state": self.state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.state = state["state"]


class PreciseBatchNorm(Callback):
    """After each epoch's batches, reset every batch-norm layer's running mean and variance and recompute
    them as the plain average over ``batches()`` (forward passes in train mode, no gradients), so that
    validation and the saved weights use statistics of the final weights (Wu & Johnson 2021, "precise BN").

    Why: the running variance starts at 1 and moves by ``momentum`` per batch; a network whose activations
    are small learns faster than that average forgets its start, and in eval mode its outputs shrink layer
    after layer towards a constant. ``batches()`` yields model inputs (tensors), e.g. a fixed sample of the
    training set without augmentation."""

    def __init__(self, batches: Callable[[], Iterable[torch.Tensor]]) -> None:
        self.batches = batches

    def on_train_end(self, loop: Loop, epoch: int) -> None:
        norms = [m for m in loop.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        momenta = [m.momentum for m in norms]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # cumulative average over the batches below
        was_training = loop.model.training
        loop.model.train()
        with torch.no_grad():
            for x in self.batches():
                loop.model(x.to(loop.device))
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum
        loop.model.train(was_training)


class EarlyStopping(Callback):
    """Stop when the loop's monitor has gone ``patience`` epochs without improving."""

    def __init__(self, patience: int) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience = patience

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        if loop.monitor is None:
            raise ValueError("EarlyStopping needs the loop's monitor (Loop(..., monitor=Monitor(...)))")
        if loop.monitor.stale >= self.patience:
            loop.stop()


class TimeLimit(Callback):
    """Stop after the first epoch that ends more than ``seconds`` after the run started."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.started = seconds, 0.0

    def on_fit_start(self, loop: Loop) -> None:
        self.started = time.monotonic()

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        if time.monotonic() - self.started > self.seconds:
            loop.stop()


class Checkpoint(Callback):
    """After every epoch write ``directory/last.pt`` = ``payload(loop, record)`` + ``{"loop": loop.state_dict()}``
    (``Loop.fit(resume_from=...)`` reads it); when the monitor improves also ``best.pt``, without the keys
    named in ``best_without`` (``"loop"`` by default: a best model need not be resumable)."""

    def __init__(
        self,
        directory: Path,
        *,
        payload: Callable[[Loop, EpochRecord], dict[str, Any]] | None = None,
        best_without: Collection[str] = ("loop",),
    ) -> None:
        self.directory = Path(directory)
        self.payload, self.best_without = payload, set(best_without)

    @property
    def last(self) -> Path:
        return self.directory / "last.pt"

    @property
    def best(self) -> Path:
        return self.directory / "best.pt"

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        state = {**(self.payload(loop, record) if self.payload else {}), "loop": loop.state_dict()}
        save_checkpoint(self.last, state)
        if loop.monitor is None or loop.monitor.improved:
            save_checkpoint(self.best, {k: v for k, v in state.items() if k not in self.best_without})


def default_row(record: EpochRecord) -> dict[str, float]:
    return {"epoch": record.epoch, **record.train, **record.val, "lr": record.lr, "seconds": record.seconds}


class CsvLog(Callback):
    """One row per epoch, ``row(record)`` (default: epoch, losses, validation, lr, seconds); floats as ``%.6g``.

    A new run starts the file afresh; a resumed one keeps its rows, and a new column extends the header."""

    def __init__(self, path: Path, row: Callable[[EpochRecord], dict[str, Any]] = default_row) -> None:
        self.path, self.row = Path(path), row

    def on_fit_start(self, loop: Loop) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not loop.resumed:
            self.path.unlink(missing_ok=True)

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        row = {k: f"{v:.6g}" if isinstance(v, float) else v for k, v in self.row(record).items()}
        rows: list[dict[str, Any]] = []
        header: list[str] = []
        if self.path.is_file():
            with self.path.open(newline="") as f:
                reader = csv.DictReader(f)
                header, rows = list(reader.fieldnames or []), list(reader)
        header += [k for k in row if k not in header]
        with self.path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows([*rows, row])


class JsonLinesLog(Callback):
    """One JSON object per epoch (``epoch``, ``train``, ``val``, ``lr``, ``seconds``, ``step``); NaN as null."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def on_fit_start(self, loop: Loop) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not loop.resumed:
            self.path.unlink(missing_ok=True)

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        def clean(values: Mapping[str, float]) -> dict[str, float | None]:
            return {k: None if math.isnan(v) else v for k, v in values.items()}

        line = {
            "epoch": record.epoch,
            "train": clean(record.train),
            "val": clean(record.val),
            "lr": record.lr,
            "seconds": record.seconds,
            "step": record.step,
        }
        with self.path.open("a") as f:
            f.write(json.dumps(line) + "\n")


class EpochLog(Callback):
    """``<name> epoch i/N key=value ...`` at INFO on ``logger`` after every epoch."""

    def __init__(self, name: str, logger: logging.Logger = LOGGER) -> None:
        self.name, self.logger = name, logger

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        values = {**record.train, **record.val, "lr": record.lr}
        text = " ".join(f"{k}={v:.4g}" for k, v in values.items())
        self.logger.info("%s epoch %d/%d %s", self.name, record.epoch + 1, loop.config.epochs, text)


class Progress(Callback):
    """A tqdm bar over each epoch's batches with the running mean losses; hidden when not on a terminal."""

    def __init__(self, batches_per_epoch: int | None = None, keys: Collection[str] | None = None) -> None:
        self.total, self.keys = batches_per_epoch, keys
        self.bar: tqdm | None = None

    def on_epoch_start(self, loop: Loop, epoch: int) -> None:
        desc = f"epoch {epoch + 1}/{loop.config.epochs}"
        self.bar = tqdm(total=self.total, desc=desc, dynamic_ncols=True, leave=False, disable=None)

    def on_batch_end(self, loop: Loop, index: int, running: Mapping[str, float]) -> None:
        if self.bar is not None:
            shown = {k: f"{v:.3f}" for k, v in running.items() if self.keys is None or k in self.keys}
            self.bar.set_postfix(shown, refresh=False)
            self.bar.update(1)

    def on_train_end(self, loop: Loop, epoch: int) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class OnEpoch(Callback):
    """Call ``fn(record)`` after every epoch."""

    def __init__(self, fn: Callable[[EpochRecord], None]) -> None:
        self.fn = fn

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None:
        self.fn(record)
