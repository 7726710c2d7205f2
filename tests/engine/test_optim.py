"""Learning-rate schedule and parameter groups: known answers."""

from __future__ import annotations

import math

import pytest
from torch import nn

from mineguard.engine.optim import build_sgd, cosine_lr, warmup_factor


def test_cosine_schedule_known_values() -> None:
    assert cosine_lr(0.0, lr0=0.01, lrf=0.01) == pytest.approx(0.01)
    assert cosine_lr(1.0, lr0=0.01, lrf=0.01) == pytest.approx(0.0001)
    assert cosine_lr(0.5, lr0=0.01, lrf=0.01) == pytest.approx(0.01 * (0.01 + 0.99 * 0.5))
    assert cosine_lr(2.0, lr0=0.01, lrf=0.01) == pytest.approx(0.0001)


def test_warmup_is_linear_then_flat() -> None:
    assert warmup_factor(0, 10) == pytest.approx(0.1)
    assert warmup_factor(4, 10) == pytest.approx(0.5)
    assert warmup_factor(10, 10) == 1.0
    assert warmup_factor(3, 0) == 1.0


def test_no_weight_decay_on_norms_and_biases() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4), nn.Linear(4, 2))
    opt = build_sgd(model, lr=0.001, momentum=0.937, nesterov=True, weight_decay=0.005)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.005 and no_decay["weight_decay"] == 0.0
    assert {p.shape for p in decay["params"]} == {(4, 3, 3, 3), (2, 4)}
    assert len(no_decay["params"]) == 4  # conv bias, BN weight and bias, linear bias
    assert opt.defaults["nesterov"] and math.isclose(opt.defaults["momentum"], 0.937)
