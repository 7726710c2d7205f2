"""Dense block of depthwise separable convolutions (seed 004 §3.2.2, after Huang et al., CVPR 2017).

DenseNet connectivity: layer ℓ takes the concatenation of the block input and the outputs of
layers 1..ℓ-1, and adds ``growth`` channels::

    x_ℓ = H_ℓ([x_0, x_1, ..., x_{ℓ-1}])        out = [x_0, x_1, ..., x_L]

Seed 004 puts "a dense block of eight convolutional layers" after a two-layer stem; "each layer
receives the sum of the channels the layers behind it generates" — read here as DenseNet's
concatenation. H_ℓ is a depthwise separable conv (DW 3x3-BN-act, PW 1x1-BN-act; seed 004
§3.2.1) instead of DenseNet's BN-ReLU-conv1x1-BN-ReLU-conv3x3 bottleneck. The block keeps the
spatial size: (B, C, H, W) -> (B, C + L·growth, H, W); downsampling is left to the caller.
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.conv import DepthwiseSeparableConv


class DenseBlock(nn.Module):
    """``num_layers`` DS-conv layers, each fed every earlier feature map; ``out_channels = C + L·growth``."""

    def __init__(
        self,
        in_channels: int,
        *,
        num_layers: int = 8,
        growth: int = 16,
        act_layer: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        if num_layers < 1 or growth < 1:
            raise ValueError(f"a dense block needs num_layers >= 1 and growth >= 1, got {num_layers} and {growth}")
        self.layers = nn.ModuleList(
            DepthwiseSeparableConv(in_channels + i * growth, growth, act_layer=act_layer) for i in range(num_layers)
        )
        self.out_channels = in_channels + num_layers * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)
