"""Convolution building blocks: Conv-BN-SiLU (CBS), depthwise conv (YOLOv10, seed 001 §2) and
depthwise separable conv (seed 004 §3.2.1, Eq. 3)."""

from __future__ import annotations

import torch
from torch import nn


class LeakyReLU01(nn.LeakyReLU):
    """LeakyReLU with DarkNet's negative slope 0.1 (YOLOv3; seed 000's GcNet transform), as a class."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.1, inplace)


def autopad(kernel_size: int | tuple[int, int], dilation: int = 1) -> int | tuple[int, int]:
    """'Same' padding for an odd kernel (square, or (kh, kw) such as RFB's 1x3) at stride 1."""
    if isinstance(kernel_size, tuple):
        return tuple(dilation * (k - 1) // 2 for k in kernel_size)
    return dilation * (kernel_size - 1) // 2


class ConvBNAct(nn.Module):
    """Conv2d (no bias) -> BatchNorm -> activation: the CBS block of seed 001 Fig. 1.

    x: (B, in_channels, H, W) -> (B, out_channels, H/stride, W/stride).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 1,
        stride: int = 1,
        *,
        groups: int = 1,
        dilation: int = 1,
        act_layer: type[nn.Module] | None = nn.SiLU,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            autopad(kernel_size, dilation),
            dilation=dilation,
            groups=groups,
            bias=False,
        )
        # BN hyper-parameters of the YOLOv8/v10 family (eps 1e-3, momentum 0.03).
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3, momentum=0.03)
        self.act = act_layer() if act_layer is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class DWConv(ConvBNAct):
    """Depthwise Conv-BN-act: one filter per channel (groups = channels)."""

    def __init__(
        self,
        channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        *,
        act_layer: type[nn.Module] | None = nn.SiLU,
    ) -> None:
        super().__init__(channels, channels, kernel_size, stride, groups=channels, act_layer=act_layer)


class DepthwiseSeparableConv(nn.Module):
    """Depthwise k x k Conv-BN-act, then pointwise 1x1 Conv-BN-act (seed 004 §3.2.1).

    The depthwise conv filters each channel alone (spatial features), the pointwise conv mixes
    channels. Convolution weights: k²·C_in + C_in·C_out (seed 004 Eq. 3, with q = C_in, p = C_out)
    against k²·C_in·C_out for a plain conv (Eq. 2). x: (B, C_in, H, W) -> (B, C_out, H/stride, W/stride).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        *,
        act_layer: type[nn.Module] | None = nn.ReLU,
    ) -> None:
        super().__init__()
        self.depthwise = DWConv(in_channels, kernel_size, stride, act_layer=act_layer)
        self.pointwise = ConvBNAct(in_channels, out_channels, 1, act_layer=act_layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))
