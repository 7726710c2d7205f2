"""DarkNet blocks of YOLOv3 (Redmon & Farhadi 2018; seed 000 §2).

- ``darknet_conv``: Conv-BN-LeakyReLU(0.1), DarkNet's one convolution (a ``ConvBNAct``).
- ``DarkResidual``: the residual unit of Eq. 1, z' = z + d(z), with d a 1x1 bottleneck to C/2
  channels and a 3x3 back to C.
- ``conv_set``: the five alternating 1x1 / 3x3 convolutions YOLOv3 puts before each output.
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.conv import ConvBNAct, LeakyReLU01


def darknet_conv(in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1) -> ConvBNAct:
    """Conv (no bias) -> BN -> LeakyReLU(0.1): (B, in, H, W) -> (B, out, H/stride, W/stride)."""
    return ConvBNAct(in_channels, out_channels, kernel_size, stride, act_layer=LeakyReLU01)


class DarkResidual(nn.Module):
    """Eq. 1: z + d(z), d = 3x3 conv(C/2 -> C) ∘ 1x1 conv(C -> C/2). (B, C, H, W) -> same."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        hidden = channels // 2
        self.reduce = darknet_conv(channels, hidden, 1)
        self.expand = darknet_conv(hidden, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.expand(self.reduce(x))


def dark_stage(in_channels: int, out_channels: int, blocks: int) -> nn.Sequential:
    """A DarkNet-53 stage: 3x3 stride-2 downsampling conv, then ``blocks`` residual units."""
    return nn.Sequential(
        darknet_conv(in_channels, out_channels, 3, 2), *(DarkResidual(out_channels) for _ in range(blocks))
    )


def conv_set(in_channels: int, channels: int) -> nn.Sequential:
    """1x1 C, 3x3 2C, 1x1 C, 3x3 2C, 1x1 C: (B, in, H, W) -> (B, C, H, W)."""
    return nn.Sequential(
        darknet_conv(in_channels, channels, 1),
        darknet_conv(channels, channels * 2, 3),
        darknet_conv(channels * 2, channels, 1),
        darknet_conv(channels, channels * 2, 3),
        darknet_conv(channels * 2, channels, 1),
    )
