"""Dynamic Head (Dai et al., CVPR 2021), the detection-head attention of CA-YOLOv10n (seed 001 §2.2).

One block applies, on an L-level pyramid of equal width C:
    W(F) = π_C(π_S(π_L(F) · F) · F) · F
- π_L scale-aware: σ_h(f(mean_{S,C} F)) · F, f a 1x1 conv, σ_h the hard sigmoid
  max(0, min(1, (x + 1) / 2));
- π_S spatial-aware: a modulated deformable 3x3 conv (``mineguard.ops.deform``, equal to
  ``torchvision.ops.deform_conv2d`` and faster on CPU) with
  offsets Δp_k and importance scalars Δm_k learnt from the level's own features, applied to the
  level and its two neighbours (the finer one at stride 2, the coarser one on its own grid and
  then upsampled bilinearly), and the results averaged after scale-aware weighting. For the
  coarser neighbour the offsets are resized to its grid and halved (its pixels are twice as
  large), where the reference code feeds the finer-grid offsets as they are;
- π_C task-aware: dynamic ReLU, max(α¹·F_c + β¹, α²·F_c + β²), with α, β predicted from the
  pooled features (hyper-function: GAP -> FC -> ReLU -> FC -> hard sigmoid, shifted so that at
  zero input α¹ = 1, β = α² = 0, i.e. a plain ReLU, max(F, 0)).
Blocks are stacked (the seed's "nesting"): depth 1-3, default 2.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mineguard.ops.deform import modulated_deform_conv2d


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """DyHead's σ(x) = max(0, min(1, (x + 1) / 2))."""
    return ((x + 1) / 2).clamp(0, 1)


class ModulatedDeformConv(nn.Module):
    """3x3 modulated deformable conv (DCNv2) + GroupNorm, offsets and mask given by the caller.

    x: (B, C_in, H_in, W_in); offset: (B, 18, H, W); mask: (B, 9, H, W) -> (B, C_out, H, W).
    """

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, groups: int = 16) -> None:
        super().__init__()
        self.stride = stride
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 3, 3))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        self.norm = nn.GroupNorm(math.gcd(groups, out_channels), out_channels)

    def forward(self, x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        y = modulated_deform_conv2d(x, offset, mask, self.weight, stride=self.stride, padding=1)
        return self.norm(y)


class DynamicReLU(nn.Module):
    """Task-aware attention: per-channel piecewise-linear activation with learnt α, β."""

    def __init__(self, channels: int, *, reduction: int = 4) -> None:
        super().__init__()
        self.channels = channels
        self.fc = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, max(8, channels // reduction), 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(max(8, channels // reduction), 4 * channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        theta = F.hardsigmoid(self.fc(x)) - 0.5  # (B, 4C, 1, 1) in [-0.5, 0.5]
        a1, b1, a2, b2 = theta.split(self.channels, dim=1)
        return torch.maximum(x * (2 * a1 + 1) + b1, x * (2 * a2) + b2)


class DyHeadBlock(nn.Module):
    """One scale-, spatial- and task-aware attention block over a list of L feature maps."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.offset_mask = nn.Conv2d(channels, 27, 3, padding=1)  # 18 offsets + 9 importance
        nn.init.zeros_(self.offset_mask.weight)
        nn.init.zeros_(self.offset_mask.bias)
        self.conv_same = ModulatedDeformConv(channels, channels)
        self.conv_finer = ModulatedDeformConv(channels, channels, stride=2)
        self.conv_coarser = ModulatedDeformConv(channels, channels)
        self.scale_fc = nn.Conv2d(channels, 1, 1)
        self.task = DynamicReLU(channels)

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return x * hard_sigmoid(self.scale_fc(x.mean(dim=(2, 3), keepdim=True)))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        outs = []
        for level, x in enumerate(feats):
            om = self.offset_mask(x)
            offset, mask = om[:, :18], om[:, 18:].sigmoid()
            total = self._scale(self.conv_same(x, offset, mask))
            count = 1
            if level > 0:
                total = total + self._scale(self.conv_finer(feats[level - 1], offset, mask))
                count += 1
            if level < len(feats) - 1:
                coarse = F.interpolate(
                    self.conv_coarser(feats[level + 1], *self._resample(offset, mask, feats[level + 1])),
                    size=x.shape[-2:],
                    mode="bilinear",
                    align_corners=True,
                )
                total = total + self._scale(coarse)
                count += 1
            outs.append(self.task(total / count))
        return outs

    @staticmethod
    def _resample(offset: torch.Tensor, mask: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Offsets/mask learnt at this level, resized to the coarser neighbour's grid."""
        size = target.shape[-2:]
        return (
            F.interpolate(offset, size=size, mode="bilinear", align_corners=True) * 0.5,
            F.interpolate(mask, size=size, mode="bilinear", align_corners=True),
        )


class DyHead(nn.Module):
    """``depth`` stacked ``DyHeadBlock``s over a pyramid of ``channels``-wide maps."""

    def __init__(self, channels: int, *, depth: int = 2) -> None:
        super().__init__()
        if not 1 <= depth <= 3:
            raise ValueError(f"DyHead depth must be 1, 2 or 3 (seed 001 Table 5), got {depth}")
        self.blocks = nn.ModuleList(DyHeadBlock(channels) for _ in range(depth))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        for block in self.blocks:
            feats = block(feats)
        return feats
