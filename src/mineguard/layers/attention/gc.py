"""Global Context block (GCNet, Cao et al. 2019) as seed 000 places it in YOLOv3 (Eqs. 2-5).

Context modelling (Eq. 4): a 1x1 convolution q_j scores every position, SoftMax over the
H·W positions turns the scores into weights, and the weighted sum of the feature vectors z_j is
one global context vector D (B, C, 1, 1). Transform (Eq. 5): q_c1 squeezes it to e·C channels,
LayerNorm (MB) and LeakyReLU (LR, the paper's choice where GCNet uses ReLU), q_c2 restores C
channels. Fusion: broadcast addition, x_u = z + q_c2(LR(MB(q_c1(D)))).

``reduction`` is 1/e (GCNet's r = 16); q_c2 starts at zero (GCNet's ``last_zero_init``), so a
fresh block is the identity and does not disturb the network it is inserted into.
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.conv import LeakyReLU01


class GlobalContextBlock(nn.Module):
    """x: (B, C, H, W) -> x + transform(context(x)), same shape; context (B, C, 1, 1)."""

    def __init__(
        self,
        channels: int,
        *,
        reduction: int = 16,
        act_layer: type[nn.Module] = LeakyReLU01,
        zero_init: bool = True,
    ) -> None:
        super().__init__()
        mid = max(8, channels // reduction)
        self.key = nn.Conv2d(channels, 1, 1)  # q_j of Eq. 4
        self.squeeze = nn.Conv2d(channels, mid, 1)  # q_c1
        self.norm = nn.LayerNorm([mid, 1, 1])  # MB
        self.act = act_layer()  # LR
        self.expand = nn.Conv2d(mid, channels, 1)  # q_c2
        if zero_init:
            nn.init.zeros_(self.expand.weight)
            nn.init.zeros_(self.expand.bias)

    def context(self, x: torch.Tensor) -> torch.Tensor:
        """D = Σ_j softmax_j(q_j z) z_j (Eq. 4): (B, C, H, W) -> (B, C, 1, 1)."""
        b, c, h, w = x.shape
        weights = self.key(x).view(b, 1, h * w).softmax(-1)  # (B, 1, HW)
        return torch.bmm(x.view(b, c, h * w), weights.transpose(1, 2)).view(b, c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.expand(self.act(self.norm(self.squeeze(self.context(x)))))
