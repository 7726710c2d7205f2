"""EMA of weights: known answer for one update."""

from __future__ import annotations

import math

import torch
from torch import nn

from mineguard.engine.ema import ModelEMA


def test_one_update_mixes_by_the_ramped_decay() -> None:
    model = nn.Linear(1, 1, bias=False)
    nn.init.constant_(model.weight, 1.0)
    ema = ModelEMA(model, decay=0.9, tau=1.0)
    with torch.no_grad():
        model.weight.fill_(3.0)
    ema.update(model)
    d = 0.9 * (1 - math.exp(-1.0))
    assert ema.module.weight.item() == torch.tensor(d * 1.0 + (1 - d) * 3.0).item()
    assert not ema.module.weight.requires_grad
