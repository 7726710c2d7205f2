"""A small path aggregation network (PAN; Liu et al., CVPR 2018) for slices of 3 to 64 px, seed 004 §3.2.4.

Given feature levels P_0 (shallowest, largest) .. P_{L-1} (deepest), all ``channels`` wide, a
top-down path carries semantics down and a bottom-up path carries detail back up::

    T_{L-1} = P_{L-1}          T_i = DS([up(T_{i+1}); P_i])          (top-down, FPN)
    N_0 = A(T_0)               N_i = A(DS([halve(N_{i-1}); T_i]))    (bottom-up)

up is nearest-neighbour resizing to P_i's size, DS a depthwise separable conv (2C -> C), A the
attention on the fused maps (seed 004: "an attention-based path aggregation network"; CBAM in
``openpit-dense``, none when ``attn_layer`` is None). Fusion is by concatenation, as in YOLOv4/v8's
PAN; PANet adds. Returns [N_0, ..., N_{L-1}], each (B, C, H_i, W_i).

Levels shrink by ``HalveIfLarge``: a 2x2 max-pool (ceil mode, so 9 -> 5) applied only while the
map's shorter side is at least ``min_side`` (default 6), so no level becomes smaller than 3x3
unless the input already is: 64 -> 32 -> 16, 18 -> 9 -> 5, 9 -> 5 -> 5, 3 -> 3 -> 3. The bottom-up
path uses the same rule, so halve(N_{i-1}) always has T_i's size. The decision reads the input's
static size: an ONNX export fixes it for the exported slice size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mineguard.layers.conv import DepthwiseSeparableConv


class HalveIfLarge(nn.Module):
    """x: (B, C, H, W) -> (B, C, ceil(H/2), ceil(W/2)) by 2x2 max-pool if min(H, W) >= min_side, else x."""

    def __init__(self, min_side: int = 6) -> None:
        super().__init__()
        if min_side < 2:
            raise ValueError(f"min_side must be >= 2 (a 1 px map cannot be halved), got {min_side}")
        self.min_side = min_side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) < self.min_side:
            return x
        return F.max_pool2d(x, 2, 2, ceil_mode=True)


class PathAggregation(nn.Module):
    """Top-down then bottom-up fusion of ``levels`` maps of ``channels`` channels, attention on the outputs."""

    def __init__(
        self,
        channels: int,
        levels: int = 3,
        *,
        attn_layer: Callable[[int], nn.Module] | None = None,
        act_layer: type[nn.Module] = nn.ReLU,
        min_side: int = 6,
    ) -> None:
        super().__init__()
        if levels < 2:
            raise ValueError(f"path aggregation fuses at least 2 levels, got {levels}")
        self.levels = levels
        self.top_down = nn.ModuleList(
            DepthwiseSeparableConv(2 * channels, channels, act_layer=act_layer) for _ in range(levels - 1)
        )
        self.bottom_up = nn.ModuleList(
            DepthwiseSeparableConv(2 * channels, channels, act_layer=act_layer) for _ in range(levels - 1)
        )
        self.halve = HalveIfLarge(min_side)
        self.attention = None if attn_layer is None else nn.ModuleList(attn_layer(channels) for _ in range(levels))

    def forward(self, features: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """features: P_0..P_{L-1}, (B, C, H_i, W_i) shallow to deep -> N_0..N_{L-1}, same shapes."""
        if len(features) != self.levels:
            raise ValueError(f"expected {self.levels} feature levels, got {len(features)}")
        top = [features[-1]]
        for i in range(self.levels - 2, -1, -1):
            up = F.interpolate(top[0], size=features[i].shape[-2:], mode="nearest")
            top.insert(0, self.top_down[i](torch.cat((up, features[i]), dim=1)))
        out = [self._attend(0, top[0])]
        for i in range(1, self.levels):
            down = self.halve(out[-1])
            if down.shape[-2:] != top[i].shape[-2:]:
                raise ValueError(
                    f"level {i} is {tuple(top[i].shape[-2:])} but halving level {i - 1} gives "
                    f"{tuple(down.shape[-2:])}: build the levels with HalveIfLarge({self.halve.min_side})"
                )
            out.append(self._attend(i, self.bottom_up[i - 1](torch.cat((down, top[i]), dim=1))))
        return out

    def _attend(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return x if self.attention is None else self.attention[i](x)
