"""The training loop every trainer shares: epochs, the optimiser step, validation, a monitored metric, callbacks.

A task gives the loop what is its own and nothing else:

- ``batches(epoch) -> Iterable``: the epoch's batches (its own shuffling and augmentation);
- ``step(batch) -> {name: loss}``: the forward pass; ``losses[config.loss_key]`` is back-propagated and every
  entry is averaged over the epoch (weighted by ``batch_size(batch)`` when given, else one per batch);
- ``validate(epoch) -> {name: value}`` (optional): the epoch's validation figures.

The loop owns the rest: ``model.train()``, gradient accumulation, gradient clipping, AMP (CUDA only, with a
``GradScaler``), the non-finite loss check, a ``Monitor`` (best value of one metric, epochs since it improved),
timing, and the callback hooks (learning-rate schedules, EMA, logs, checkpoints, early stop, progress) in
``mineguard.engine.loop.callbacks``. ``fit(resume_from=...)`` continues a run from a ``Checkpoint`` file.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from mineguard.engine.loop.seeds import rng_state, set_rng_state
from mineguard.models.checkpoint import read_checkpoint

Losses = Mapping[str, torch.Tensor | float]


@dataclass(frozen=True)
class LoopConfig:
    """``accumulate``: batches per optimiser step; ``grad_clip``: max gradient norm (None: no clipping);
    ``amp``: mixed precision, used only when ``device`` is CUDA; ``check_finite``: raise on a NaN/inf loss."""

    epochs: int
    accumulate: int = 1
    grad_clip: float | None = None
    amp: bool = False
    device: str | torch.device = "cpu"
    loss_key: str = "loss"
    check_finite: bool = False

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.accumulate < 1:
            raise ValueError(f"epochs and accumulate must be >= 1, got {self.epochs} and {self.accumulate}")
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError(f"grad_clip must be > 0 or None, got {self.grad_clip}")


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: ``epoch`` counts from 0; ``train`` the mean of each loss, ``val`` the validation
    figures (empty when not validated), ``lr`` of the first parameter group, ``step`` optimiser steps so far."""

    epoch: int
    train: dict[str, float]
    val: dict[str, float]
    lr: float
    seconds: float
    step: int

    def value(self, key: str) -> float | None:
        """``key`` among the validation figures, then the training losses; None when absent."""
        return self.val.get(key, self.train.get(key))


Metric = str | Callable[[EpochRecord], float | None]


class Monitor:
    """Best value of one metric (a record key or a function of the record) and epochs since it improved.

    Improved means ``value < best - min_delta`` (``mode="min"``) or ``value > best + min_delta`` (``"max"``);
    NaN never improves. An epoch without the metric (e.g. not validated) changes nothing."""

    def __init__(self, metric: Metric, mode: Literal["min", "max"] = "min", min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.metric, self.mode, self.min_delta = metric, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_record: EpochRecord | None = None
        self.stale = 0
        self.improved = False

    def read(self, record: EpochRecord) -> float | None:
        return self.metric(record) if callable(self.metric) else record.value(self.metric)

    def update(self, record: EpochRecord) -> bool:
        value = self.read(record)
        if value is None:
            self.improved = False
            return False
        if self.mode == "min":
            self.improved = value < self.best - self.min_delta
        else:
            self.improved = value > self.best + self.min_delta
        if self.improved:
            self.best, self.best_epoch, self.best_record, self.stale = value, record.epoch, record, 0
        else:
            self.stale += 1
        return self.improved

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "stale": self.stale}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best, self.best_epoch, self.stale = state["best"], state["best_epoch"], state["stale"]


class Callback:
    """Hooks the loop calls; each does nothing unless overridden. ``state_dict`` goes into checkpoints."""

    def on_fit_start(self, loop: Loop) -> None: ...

    def on_epoch_start(self, loop: Loop, epoch: int) -> None: ...

    def on_batch_start(self, loop: Loop, epoch: int, index: int) -> None: ...

    def on_optimizer_step(self, loop: Loop) -> None: ...

    def on_batch_end(self, loop: Loop, index: int, running: Mapping[str, float]) -> None: ...

    def on_train_end(self, loop: Loop, epoch: int) -> None: ...

    def on_epoch_end(self, loop: Loop, record: EpochRecord) -> None: ...

    def on_fit_end(self, loop: Loop) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class LoopSummary:
    """``epochs_run``: epochs finished, resumed ones included; ``best_epoch`` (from 0) and ``best_value`` of the
    monitored metric (None without a monitor or improvement); ``history``: this call's epochs."""

    epochs_run: int
    steps: int
    stopped_early: bool
    best_epoch: int | None
    best_value: float | None
    seconds: float
    history: tuple[EpochRecord, ...] = field(repr=False)


def index_batches(n: int, batch_size: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """A shuffled order of ``n`` samples cut into batches of indices (the global torch generator unless given)."""
    return torch.randperm(n, generator=generator).split(batch_size)


class Loop:
    """``Loop(model, optimizer, step, batches=..., config=...).fit()``; see the module docstring."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        step: Callable[[Any], Losses],
        *,
        batches: Callable[[int], Iterable[Any]],
        config: LoopConfig,
        validate: Callable[[int], Mapping[str, float]] | None = None,
        monitor: Monitor | None = None,
        callbacks: Sequence[Callback] = (),
        batch_size: Callable[[Any], int] | None = None,
    ) -> None:
        self.model, self.optimizer, self.step_fn, self.batches = model, optimizer, step, batches
        self.config, self.validate, self.monitor = config, validate, monitor
        self.callbacks, self.batch_size = list(callbacks), batch_size
        self.device = torch.device(config.device)
        self.use_amp = config.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.start_epoch, self.epoch, self.step, self.resumed = 0, -1, 0, False
        self.history: list[EpochRecord] = []
        self.should_stop = False
        self.stopped_early = False

    def stop(self) -> None:
        """Finish after the current epoch (an early stop)."""
        self.should_stop = True

    def state_dict(self) -> dict[str, Any]:
        """What a resume needs: weights, optimiser, scaler, counters, monitor, callbacks, generator states."""
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "monitor": self.monitor.state_dict() if self.monitor is not None else None,
            "callbacks": {type(cb).__name__: cb.state_dict() for cb in self.callbacks},
            "rng": rng_state(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.step = state["epoch"], state["step"]
        self.start_epoch = self.epoch + 1
        if self.monitor is not None and state.get("monitor") is not None:
            self.monitor.load_state_dict(state["monitor"])
        saved = state.get("callbacks", {})
        for cb in self.callbacks:
            if type(cb).__name__ in saved:
                cb.load_state_dict(saved[type(cb).__name__])
        if state.get("rng") is not None:
            set_rng_state(state["rng"])
        self.resumed = True

    def fit(self, *, resume_from: Path | str | Mapping[str, Any] | None = None) -> LoopSummary:
        """Train to ``config.epochs``; ``resume_from``: a checkpoint path (its ``loop`` entry) or a loop state."""
        if resume_from is not None:
            if isinstance(resume_from, Mapping):
                state = resume_from
            else:
                hint = "resume from the last.pt a Checkpoint callback wrote"
                state = read_checkpoint(resume_from, required=("loop",), kind="resumable", missing_hint=hint)["loop"]
            self.load_state_dict(state)
        started = time.perf_counter()
        self._call("on_fit_start")
        for epoch in range(self.start_epoch, self.config.epochs):
            record = self._epoch(epoch)
            self.history.append(record)
            if self.monitor is not None:
                self.monitor.update(record)
            self._call("on_epoch_end", record)
            if self.should_stop:
                self.stopped_early = epoch + 1 < self.config.epochs
                break
        self._call("on_fit_end")
        best = self.monitor.best_epoch if self.monitor is not None else None
        return LoopSummary(
            epochs_run=self.epoch + 1,
            steps=self.step,
            stopped_early=self.stopped_early,
            best_epoch=best,
            best_value=self.monitor.best if self.monitor is not None and best is not None else None,
            seconds=time.perf_counter() - started,
            history=tuple(self.history),
        )

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def _epoch(self, epoch: int) -> EpochRecord:
        cfg = self.config
        self.epoch = epoch
        started = time.perf_counter()
        self.model.train()
        self._call("on_epoch_start", epoch)
        batches = self.batches(epoch)
        count = len(batches) if hasattr(batches, "__len__") else None  # type: ignore[arg-type]
        sums: dict[str, float] = {}
        seen = 0
        self.optimizer.zero_grad(set_to_none=True)
        index = -1
        for index, batch in enumerate(batches):
            self._call("on_batch_start", epoch, index)
            with torch.autocast(self.device.type, enabled=self.use_amp):
                losses = self.step_fn(batch)
            loss = losses[cfg.loss_key]
            if not isinstance(loss, torch.Tensor):
                raise TypeError(f"step() must return a tensor under {cfg.loss_key!r}, got {type(loss).__name__}")
            if cfg.check_finite and not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch + 1}, batch {index}")
            self.scaler.scale(loss).backward()
            if (index + 1) % cfg.accumulate == 0 or index + 1 == count:
                self._optimizer_step()
            weight = self.batch_size(batch) if self.batch_size is not None else 1
            for key, value in losses.items():
                sums[key] = (
                    sums.get(key, 0.0) + float(value.detach() if isinstance(value, torch.Tensor) else value) * weight
                )
            seen += weight
            self._call("on_batch_end", index, {k: v / seen for k, v in sums.items()})
        if count is None and (index + 1) % cfg.accumulate:
            self._optimizer_step()  # the last, partial accumulation of an iterable without a length
        lr = float(self.optimizer.param_groups[0]["lr"])
        self._call("on_train_end", epoch)
        val = dict(self.validate(epoch)) if self.validate is not None else {}
        train = {k: v / seen for k, v in sums.items()} if seen else {}
        return EpochRecord(epoch, train, val, lr, time.perf_counter() - started, self.step)

    def _optimizer_step(self) -> None:
        if self.config.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        self._call("on_optimizer_step")
