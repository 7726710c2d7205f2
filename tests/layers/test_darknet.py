"""DarkNet blocks of YOLOv3: the residual unit of seed 000 Eq. 1 and the stage / conv set shapes."""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.darknet import DarkResidual, conv_set, dark_stage


def test_residual_is_input_plus_the_bottleneck() -> None:
    block = DarkResidual(16).eval()
    x = torch.randn(2, 16, 8, 8)
    torch.testing.assert_close(block(x), x + block.expand(block.reduce(x)))
    assert block.reduce.conv.out_channels == 8 and block.expand.conv.kernel_size == (3, 3)
    assert isinstance(block.reduce.act, nn.LeakyReLU) and block.reduce.act.negative_slope == 0.1


def test_stage_halves_the_resolution_and_conv_set_keeps_it() -> None:
    stage = dark_stage(8, 16, 2)
    assert stage(torch.randn(1, 8, 32, 24)).shape == (1, 16, 16, 12)
    assert sum(isinstance(m, DarkResidual) for m in stage) == 2
    assert conv_set(24, 8)(torch.randn(1, 24, 5, 5)).shape == (1, 8, 5, 5)
