"""Coordinate Attention (Hou et al., CVPR 2021), as used by CA-YOLOv10n (seed 001 Eq. 1-4).

Eq. 1: pool along each axis: z^h_c(h) = mean_w x_c(h, w), z^w_c(w) = mean_h x_c(h, w).
Eq. 2: f = δ(F1([z^h, z^w])): concat along space, shared 1x1 conv to C/r channels, BN, δ.
Eq. 3: split f into f^h, f^w; g^h = σ(F_h(f^h)), g^w = σ(F_w(f^w)), 1x1 convs back to C.
Eq. 4: y_c(i, j) = x_c(i, j) · g^h_c(i) · g^w_c(j).

δ: seed 001 writes ReLU; the original CA paper uses h-swish. We default to h-swish
(``act_layer=nn.Hardswish``) and let the caller pass ``nn.ReLU`` for the seed's reading.
"""

from __future__ import annotations

import torch
from torch import nn


class CoordinateAttention(nn.Module):
    """x: (B, C, H, W) -> (B, C, H, W), re-weighted by height- and width-wise attention."""

    def __init__(self, channels: int, *, reduction: int = 32, act_layer: type[nn.Module] = nn.Hardswish) -> None:
        super().__init__()
        mid = max(8, channels // reduction)
        self.conv1 = nn.Conv2d(channels, mid, 1)
        self.bn1 = nn.BatchNorm2d(mid)
        self.act = act_layer()
        self.conv_h = nn.Conv2d(mid, channels, 1)
        self.conv_w = nn.Conv2d(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, h, w = x.shape
        z_h = x.mean(dim=3, keepdim=True)  # (B, C, H, 1)   Eq. 1
        z_w = x.mean(dim=2, keepdim=True).transpose(2, 3)  # (B, C, W, 1)
        f = self.act(self.bn1(self.conv1(torch.cat([z_h, z_w], dim=2))))  # Eq. 2
        f_h, f_w = torch.split(f, [h, w], dim=2)
        g_h = torch.sigmoid(self.conv_h(f_h))  # (B, C, H, 1)   Eq. 3
        g_w = torch.sigmoid(self.conv_w(f_w.transpose(2, 3)))  # (B, C, 1, W)
        return x * g_h * g_w  # Eq. 4
