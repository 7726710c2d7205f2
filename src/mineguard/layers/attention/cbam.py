"""Convolutional Block Attention Module (Woo et al., ECCV 2018), seed 004 §3.2.3 and Fig. 2D.

Channel attention, then spatial attention, each a multiplicative gate in (0, 1)::

    M_c(F) = σ(MLP(AvgPool(F)) + MLP(MaxPool(F)))          (B, C, 1, 1), one MLP C -> C/r -> C
    M_s(F) = σ(f7x7([AvgPool_c(F); MaxPool_c(F)]))           (B, 1, H, W), pools across channels
    F' = M_c(F) ⊗ F,    F'' = M_s(F') ⊗ F'

Where we deviate:

- Seed 004 says its CA and SA blocks apply average, max *and stochastic* pooling. Stochastic
  pooling (Zeiler & Fergus 2013) samples an activation at random while training and needs
  non-negative activations; the seed gives no formula for fusing the three descriptors. We keep
  Woo et al.'s average + max pooling, which is deterministic and exports to ONNX.
- The 7x7 spatial conv pads by replicating the border instead of with zeros. Our maps are 3 to
  64 px; on a 3x3 map a zero-padded 7x7 kernel sees mostly padding and would gate by position.
  With replicate padding a spatially constant map gets a uniform spatial gate. The conv has no
  bias and no BatchNorm (the paper's equation; the authors' code adds a BN).
"""

from __future__ import annotations

import torch
from torch import nn


class ChannelAttention(nn.Module):
    """x: (B, C, H, W) -> x · M_c(x), one weight in (0, 1) per channel."""

    def __init__(self, channels: int, *, reduction: int = 16, act_layer: type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        mid = max(8, channels // reduction)
        self.mlp = nn.Sequential(nn.Conv2d(channels, mid, 1), act_layer(), nn.Conv2d(mid, channels, 1))

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """M_c(x): (B, C, 1, 1)."""
        avg = x.mean(dim=(2, 3), keepdim=True)
        peak = x.amax(dim=(2, 3), keepdim=True)
        return torch.sigmoid(self.mlp(avg) + self.mlp(peak))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class SpatialAttention(nn.Module):
    """x: (B, C, H, W) -> x · M_s(x), one weight in (0, 1) per pixel shared by all channels."""

    def __init__(self, *, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False, padding_mode="replicate")

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """M_s(x): (B, 1, H, W)."""
        pooled = torch.cat((x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)), dim=1)
        return torch.sigmoid(self.conv(pooled))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class ConvolutionalBlockAttention(nn.Module):
    """CBAM: channel attention then spatial attention. x: (B, C, H, W) -> (B, C, H, W)."""

    def __init__(
        self,
        channels: int,
        *,
        reduction: int = 16,
        spatial_kernel: int = 7,
        act_layer: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction=reduction, act_layer=act_layer)
        self.spatial = SpatialAttention(kernel_size=spatial_kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial(self.channel(x))
