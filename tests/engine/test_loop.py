"""The shared training loop: known answers on a linear model, early stop, best weights, resume, seeds, logs."""

from __future__ import annotations

import csv
import itertools
import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from mineguard.engine.loop import (
    Checkpoint,
    CsvLog,
    EarlyStopping,
    EpochRecord,
    JsonLinesLog,
    KeepBest,
    Loop,
    LoopConfig,
    Monitor,
    OnEpoch,
    ParamSchedule,
    PreciseBatchNorm,
    index_batches,
    seed_everything,
    seeded,
)

X = torch.linspace(-1, 1, 32).unsqueeze(1)
Y = 2.0 * X + 1.0  # the line the model should find


def _linear(w: float = 0.0, b: float = 0.0) -> nn.Linear:
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(w)
        model.bias.fill_(b)
    return model


def _mse_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    def step(idx: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": nn.functional.mse_loss(model(x[idx]), y[idx])}

    return step


def _scripted(values: Sequence[float]):
    """A validate hook that reports ``values[epoch]`` as ``val_loss``."""
    return lambda epoch: {"val_loss": values[epoch]}


def test_one_full_batch_step_is_plain_gradient_descent() -> None:
    # x = [1, 2], y = [3, 5], w = b = 0: dL/dw = mean(2 (0 - y) x) = -13, dL/db = mean(2 (0 - y)) = -8
    x, y = torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [5.0]])
    model = _linear()
    loop = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        _mse_step(model, x, y),
        batches=lambda epoch: [torch.arange(2)],
        config=LoopConfig(epochs=1),
    )
    summary = loop.fit()
    assert model.weight.item() == pytest.approx(1.3) and model.bias.item() == pytest.approx(0.8)
    assert summary.history[0].train["loss"] == pytest.approx((9 + 25) / 2)  # the loss before the step
    assert summary.epochs_run == 1 and summary.steps == 1 and not summary.stopped_early


def test_loss_falls_every_epoch_and_the_line_is_found() -> None:
    torch.manual_seed(0)
    model = _linear()
    summary = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.2),
        _mse_step(model, X, Y),
        batches=lambda epoch: index_batches(len(X), 8),
        config=LoopConfig(epochs=30),
        batch_size=len,
    ).fit()
    losses = [r.train["loss"] for r in summary.history]
    assert all(b < a for a, b in itertools.pairwise(losses[:10])), losses  # then it is at float noise
    assert losses[-1] < 1e-6 * losses[0]
    assert model.weight.item() == pytest.approx(2.0, abs=1e-3) and model.bias.item() == pytest.approx(1.0, abs=1e-3)
    assert summary.steps == 30 * 4


def test_epoch_means_are_weighted_by_batch_size() -> None:
    model = _linear()
    sizes = [3, 1]  # a batch of 3 with loss 1 and one of 1 with loss 5: weighted mean 2, plain mean 3
    batches = [torch.arange(3), torch.arange(1)]
    losses = iter([1.0, 5.0])

    def step(idx: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": model(X[idx]).sum() * 0 + next(losses)}

    weighted = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.0),
        step,
        batches=lambda epoch: batches,
        config=LoopConfig(epochs=1),
        batch_size=len,
    ).fit()
    assert weighted.history[0].train["loss"] == pytest.approx(2.0)
    assert sum(sizes) == 4


def test_accumulation_steps_every_n_batches_and_on_the_last() -> None:
    model = _linear()
    summary = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.01),
        _mse_step(model, X, Y),
        batches=lambda epoch: index_batches(len(X), 7),  # 5 batches
        config=LoopConfig(epochs=2, accumulate=2),
    ).fit()
    assert summary.steps == 2 * 3  # batches 2, 4 and 5 of each epoch


def test_gradient_clipping_bounds_the_update() -> None:
    model = _linear(w=100.0)
    before = torch.cat([p.detach().clone().flatten() for p in model.parameters()])
    Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(len(X))],
        config=LoopConfig(epochs=1, grad_clip=0.5),
    ).fit()
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert float((after - before).norm()) == pytest.approx(0.5, rel=1e-4)


def test_a_non_finite_loss_is_refused_when_checked() -> None:
    model = _linear()
    loop = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        lambda idx: {"loss": model(X[idx]).sum() * float("nan")},
        batches=lambda epoch: [torch.arange(4)],
        config=LoopConfig(epochs=1, check_finite=True),
    )
    with pytest.raises(FloatingPointError, match="epoch 1, batch 0"):
        loop.fit()


@pytest.mark.parametrize(
    ("values", "mode", "min_delta", "patience", "epochs_run", "best_epoch"),
    [
        ([5.0, 4.0, 4.5, 4.2, 3.0, 1.0], "min", 0.0, 2, 4, 1),  # 4.0 at epoch 1, then two worse: stop after 3
        ([5.0, 4.0, 3.9999, 3.9999, 1.0], "min", 1e-3, 2, 4, 1),  # improvements below min_delta do not count
        ([0.1, 0.5, 0.4, 0.6, 0.6, 0.6, 0.9], "max", 0.0, 3, 7, 6),  # never 3 stale in a row: runs to the end
        ([0.1, 0.5, 0.4, 0.6, 0.6, 0.6, 0.9], "max", 0.0, 2, 6, 3),
    ],
)
def test_early_stop_stops_at_the_right_epoch(
    values: list[float], mode: str, min_delta: float, patience: int, epochs_run: int, best_epoch: int
) -> None:
    model = _linear()
    summary = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.01),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(4)],
        config=LoopConfig(epochs=len(values)),
        validate=_scripted(values),
        monitor=Monitor("val_loss", mode=mode, min_delta=min_delta),  # type: ignore[arg-type]
        callbacks=[EarlyStopping(patience)],
    ).fit()
    assert summary.epochs_run == epochs_run and len(summary.history) == epochs_run
    assert summary.stopped_early == (epochs_run < len(values))
    assert summary.best_epoch == best_epoch and summary.best_value == values[best_epoch]


def test_keep_best_puts_back_the_best_epochs_weights() -> None:
    model = _linear()
    seen: list[torch.Tensor] = []
    Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(len(X))],
        config=LoopConfig(epochs=4),
        validate=_scripted([3.0, 1.0, 2.0, 2.5]),
        monitor=Monitor("val_loss"),
        callbacks=[OnEpoch(lambda record: seen.append(model.weight.detach().clone())), KeepBest()],
    ).fit()
    assert len({float(w) for w in seen}) == 4  # the weights moved every epoch
    assert torch.equal(model.weight, seen[1])


def test_precise_batch_norm_gives_the_exact_statistics_of_its_batches() -> None:
    """The running mean / variance equal the plain mean and (unbiased) variance over the given batches,
    whatever they were before (after one epoch with momentum 0.1 they would still carry the start's 0 and 1);
    the layer's momentum is put back."""
    model = nn.Sequential(nn.Linear(1, 1), nn.BatchNorm1d(1))
    nn.init.ones_(model[0].weight), nn.init.zeros_(model[0].bias)
    data = torch.tensor([[10.0], [12.0], [14.0], [16.0]])
    seen: list[tuple[float, float]] = []
    Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.0),
        lambda batch: {"loss": model(batch).sum() * 0.0},
        batches=lambda epoch: [data[:2]],
        config=LoopConfig(epochs=1),
        validate=lambda epoch: seen.append((float(model[1].running_mean), float(model[1].running_var))) or {},
        callbacks=[PreciseBatchNorm(lambda: data.split(2))],
    ).fit()
    assert seen == [(pytest.approx(13.0), pytest.approx(2.0))]  # means of 11, 15 and of the unbiased variances 2, 2
    assert model[1].momentum == 0.1


def test_param_schedule_sets_the_learning_rate_per_epoch() -> None:
    model = _linear()
    summary = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=1.0),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(4)],
        config=LoopConfig(epochs=3),
        callbacks=[ParamSchedule(lambda epoch, _: {"lr": 0.1 / (epoch + 1)})],
    ).fit()
    assert [r.lr for r in summary.history] == pytest.approx([0.1, 0.05, 0.1 / 3])


def _resumable(out: Path, epochs: int, init: float) -> tuple[Loop, nn.Module]:
    """Momentum SGD with dropout and shuffling by the global generator: a resume must restore all three."""
    model = nn.Sequential(nn.Linear(1, 8), nn.Dropout(0.2), nn.Linear(8, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(init)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loop = Loop(
        model,
        optimizer,
        _mse_step(model, X, Y),
        batches=lambda epoch: index_batches(len(X), 8),
        config=LoopConfig(epochs=epochs),
        validate=lambda epoch: {"val_loss": float(nn.functional.mse_loss(model(X), Y).detach())},
        monitor=Monitor("val_loss"),
        callbacks=[Checkpoint(out, payload=lambda loop, r: {"epoch": r.epoch}), CsvLog(out / "log.csv")],
        batch_size=len,
    )
    return loop, model


def test_resume_from_a_checkpoint_ends_at_the_same_weights(tmp_path: Path) -> None:
    seed_everything(7)
    whole, model = _resumable(tmp_path / "whole", 5, init=0.1)
    whole.fit()
    seed_everything(7)
    _resumable(tmp_path / "part", 2, init=0.1)[0].fit()
    torch.manual_seed(123)  # the generators move on before the resume; the checkpoint puts them back
    resumed, again = _resumable(tmp_path / "part", 5, init=-3.0)  # other weights: the checkpoint replaces them
    summary = resumed.fit(resume_from=tmp_path / "part" / "last.pt")
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert summary.epochs_run == 5 and [r.epoch for r in summary.history] == [2, 3, 4]
    with (tmp_path / "part" / "log.csv").open() as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2, 3, 4]
    with (tmp_path / "whole" / "log.csv").open() as f, (tmp_path / "part" / "log.csv").open() as g:
        losses = [[r["loss"] for r in csv.DictReader(h)] for h in (f, g)]
    assert losses[0] == losses[1]
    assert resumed.monitor is not None and resumed.monitor.best == whole.monitor.best  # type: ignore[union-attr]


def test_best_checkpoint_follows_the_monitor(tmp_path: Path) -> None:
    model = _linear()
    Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(4)],
        config=LoopConfig(epochs=3),
        validate=_scripted([0.2, 0.9, 0.5]),
        monitor=Monitor("val_loss", mode="max"),
        callbacks=[Checkpoint(tmp_path, payload=lambda loop, r: {"epoch": r.epoch})],
    ).fit()
    best = torch.load(tmp_path / "best.pt", weights_only=False)
    last = torch.load(tmp_path / "last.pt", weights_only=False)
    assert best["epoch"] == 1 and "loop" not in best
    assert last["epoch"] == 2 and last["loop"]["epoch"] == 2 and last["loop"]["monitor"]["best"] == 0.9


def test_json_lines_log_has_one_object_per_epoch(tmp_path: Path) -> None:
    model = _linear()
    records: list[EpochRecord] = []
    Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(4)],
        config=LoopConfig(epochs=2),
        validate=_scripted([float("nan"), 1.0]),
        callbacks=[JsonLinesLog(tmp_path / "log.jsonl"), OnEpoch(records.append)],
    ).fit()
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [0, 1]
    assert lines[0]["val"] == {"val_loss": None} and lines[1]["val"] == {"val_loss": 1.0}
    assert lines[1]["train"]["loss"] == pytest.approx(records[1].train["loss"])


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.random()), float(torch.rand(1))


def test_seeds_reproduce_and_seeded_leaves_the_callers_generators_alone() -> None:
    seed_everything(11)
    first = _draws()
    seed_everything(11)
    assert _draws() == first
    seed_everything(12)
    assert _draws() != first
    seed_everything(5)
    expected = _draws()
    seed_everything(5)
    with seeded(11):
        assert _draws() == first
    assert _draws() == expected


def test_resume_from_a_file_without_loop_state_is_refused(tmp_path: Path) -> None:
    torch.save({"model": {}}, tmp_path / "other.pt")
    loop, _ = _resumable(tmp_path, 2, init=0.1)
    with pytest.raises(ValueError, match="missing 'loop'"):
        loop.fit(resume_from=tmp_path / "other.pt")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="epochs"):
        LoopConfig(epochs=0)
    with pytest.raises(ValueError, match="grad_clip"):
        LoopConfig(epochs=1, grad_clip=0.0)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(0)
    with pytest.raises(ValueError, match="mode"):
        Monitor("val_loss", mode="best")  # type: ignore[arg-type]
    model = _linear()
    loop = Loop(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        _mse_step(model, X, Y),
        batches=lambda epoch: [torch.arange(4)],
        config=LoopConfig(epochs=1),
        callbacks=[KeepBest()],
    )
    with pytest.raises(ValueError, match="monitor"):
        loop.fit()
