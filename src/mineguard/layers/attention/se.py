"""Squeeze-and-Excitation (Hu et al., CVPR 2018): channel attention from global pooling.

Used as an alternative attention in seed 001's Table 4 ablation.
"""

from __future__ import annotations

import torch
from torch import nn


class SqueezeExcitation(nn.Module):
    """x: (B, C, H, W) -> x · σ(W2 δ(W1 GAP(x))), channel weights in (0, 1)."""

    def __init__(self, channels: int, *, reduction: int = 16, act_layer: type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        mid = max(8, channels // reduction)
        self.fc1 = nn.Conv2d(channels, mid, 1)
        self.act = act_layer()
        self.fc2 = nn.Conv2d(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(self.act(self.fc1(w))))
