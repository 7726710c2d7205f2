"""CSP-style blocks of YOLOv8/v10: Bottleneck, C2f, SCDown, CIB, C2fCIB, SPPF (seed 001 §2).

Shapes are (B, C, H, W) throughout; every block keeps H, W except ``SCDown`` (stride).
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.conv import ConvBNAct, DWConv


class Bottleneck(nn.Module):
    """Two 3x3 CBS with an optional residual when channels match."""

    def __init__(self, in_channels: int, out_channels: int, *, shortcut: bool = True) -> None:
        super().__init__()
        self.cv1 = ConvBNAct(in_channels, out_channels, 3)
        self.cv2 = ConvBNAct(out_channels, out_channels, 3)
        self.add = shortcut and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP bottleneck with two convolutions: split, n bottlenecks, concat every stage, fuse.

    The split half that skips the bottlenecks goes straight to the final concat (seed 001 §2).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        depth: int = 1,
        shortcut: bool = False,
        expansion: float = 0.5,
        block: type[nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.hidden = int(out_channels * expansion)
        self.cv1 = ConvBNAct(in_channels, 2 * self.hidden, 1)
        self.cv2 = ConvBNAct((2 + depth) * self.hidden, out_channels, 1)
        make = block or (lambda c: Bottleneck(c, c, shortcut=shortcut))
        self.m = nn.ModuleList(make(self.hidden) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = list(self.cv1(x).chunk(2, 1))
        for block in self.m:
            parts.append(block(parts[-1]))
        return self.cv2(torch.cat(parts, 1))


class SCDown(nn.Module):
    """Spatial-channel decoupled downsampling (YOLOv10): 1x1 CBS for channels, then a
    depthwise strided conv for resolution, instead of one dense strided 3x3 conv."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 2) -> None:
        super().__init__()
        self.cv1 = ConvBNAct(in_channels, out_channels, 1)
        self.cv2 = ConvBNAct(out_channels, out_channels, kernel_size, stride, groups=out_channels, act_layer=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv2(self.cv1(x))


class RepVGGDW(nn.Module):
    """Large-kernel depthwise block: 7x7 DW + 3x3 DW branches summed, then SiLU (YOLOv10 'lk')."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv7 = ConvBNAct(channels, channels, 7, groups=channels, act_layer=None)
        self.conv3 = ConvBNAct(channels, channels, 3, groups=channels, act_layer=None)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv7(x) + self.conv3(x))


class CIB(nn.Module):
    """Compact inverted block (YOLOv10): DW 3x3 -> 1x1 -> DW (3x3 or large-kernel) -> 1x1 -> DW 3x3."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        shortcut: bool = True,
        expansion: float = 0.5,
        large_kernel: bool = False,
    ) -> None:
        super().__init__()
        hidden = int(out_channels * expansion)
        self.cv1 = nn.Sequential(
            DWConv(in_channels, 3),
            ConvBNAct(in_channels, 2 * hidden, 1),
            RepVGGDW(2 * hidden) if large_kernel else DWConv(2 * hidden, 3),
            ConvBNAct(2 * hidden, out_channels, 1),
            DWConv(out_channels, 3),
        )
        self.add = shortcut and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv1(x)
        return x + y if self.add else y


class C2fCIB(C2f):
    """C2f whose bottlenecks are CIBs: the rank-guided compact block of YOLOv10."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        depth: int = 1,
        shortcut: bool = False,
        large_kernel: bool = False,
        expansion: float = 0.5,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            depth=depth,
            expansion=expansion,
            block=lambda c: CIB(c, c, shortcut=shortcut, expansion=1.0, large_kernel=large_kernel),
        )


class SPPF(nn.Module):
    """Spatial pyramid pooling - fast: three chained k x k max-pools, concatenated and fused."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 5) -> None:
        super().__init__()
        hidden = in_channels // 2
        self.cv1 = ConvBNAct(in_channels, hidden, 1)
        self.cv2 = ConvBNAct(hidden * 4, out_channels, 1)
        self.pool = nn.MaxPool2d(kernel_size, 1, kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.pool(y[-1]))
        return self.cv2(torch.cat(y, 1))
