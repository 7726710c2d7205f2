"""Bottleneck Attention Module (Park et al., BMVC 2018), seed 001 Table 4 alternative.

M(F) = σ(M_c(F) + M_s(F)); F' = F + F ⊗ M(F). M_c: GAP -> MLP (C -> C/r -> C);
M_s: 1x1 reduce -> two dilated 3x3 (dilation 4) -> 1x1 to one map.
"""

from __future__ import annotations

import torch
from torch import nn


class BottleneckAttention(nn.Module):
    """x: (B, C, H, W) -> (B, C, H, W)."""

    def __init__(
        self,
        channels: int,
        *,
        reduction: int = 16,
        dilation: int = 4,
        act_layer: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        mid = max(8, channels // reduction)
        self.channel = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, mid, 1),
            nn.BatchNorm2d(mid),
            act_layer(),
            nn.Conv2d(mid, channels, 1),
        )
        self.spatial = nn.Sequential(
            nn.Conv2d(channels, mid, 1),
            nn.BatchNorm2d(mid),
            act_layer(),
            nn.Conv2d(mid, mid, 3, padding=dilation, dilation=dilation),
            nn.BatchNorm2d(mid),
            act_layer(),
            nn.Conv2d(mid, mid, 3, padding=dilation, dilation=dilation),
            nn.BatchNorm2d(mid),
            act_layer(),
            nn.Conv2d(mid, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        attention = torch.sigmoid(self.channel(x) + self.spatial(x))
        return x + x * attention
