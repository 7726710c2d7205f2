"""DS-Inception: an inception block with depthwise convolutions and a residual branch (seed 002 §2.3).

Five branches on the input F (seed 002 Eq. 13-18)::

    F1 = ReLU(conv1x1(F) + b1)                                   (13)
    F2 = ReLU(Dw3x3(ReLU(conv1x1(F) + b2)))                      (14)
    F3 = ReLU(Dw5x5(ReLU(conv1x1(F) + b3)))                      (15)
    F4 = ReLU(conv1x1(MaxPool3x3(F)) + b4)                       (16)
    F5 = ReLU(conv1x1(F) + b5)                                   (17)  residual branch
    F' = Add(Concat(F1, F2, F3, F4), F5)                         (18)

The depthwise convolutions carry no bias, as in Eq. 14-15 (the plain inception block of Eq. 4-5
has one after its 3x3 / 5x5 convolution; the DS version drops it). The max-pool is 3x3 at
stride 1 with padding 1 and every convolution keeps the spatial size, so the block maps
(B, in_channels, H, W) -> (B, out_channels, H, W).
"""

from __future__ import annotations

import torch
from torch import nn


def split_channels(channels: int, parts: int = 4) -> tuple[int, ...]:
    """Split ``channels`` into ``parts`` near-equal widths, the larger ones first (66, 4 -> 17, 17, 16, 16)."""
    base, extra = divmod(channels, parts)
    return tuple(base + (1 if i < extra else 0) for i in range(parts))


def ds_inception_params(
    in_channels: int, branch_channels: tuple[int, int, int, int], out_channels: int, *, bias: bool = True
) -> int:
    """Number of parameters of ``DSInception(in_channels, out_channels, branch_channels=...)``.

    With N = in_channels, (K1, K2, K3, K4) = branch_channels, C = out_channels, and a bias term
    ``b`` = 1 (``bias=True``) or 0 on every 1x1 convolution:

    - 1x1 conv Cin -> Cout:           Cin * Cout + b * Cout
    - depthwise k x k on C channels:  k * k * C               (no bias, Eq. 14-15)
    - max-pool:                       0

    F1 = (N + b)*K1;  F2 = (N + b)*K2 + 9*K2;  F3 = (N + b)*K3 + 25*K3;  F4 = (N + b)*K4;
    F5 = (N + b)*C.  Total = (N + b)*(K1 + K2 + K3 + K4 + C) + 9*K2 + 25*K3, which is
    2*(N + b)*C + 9*K2 + 25*K3 when the branches sum to C (as ``DSInception`` requires).

    Seed 002 §2.3 counts, for K channels per branch and no biases, 4NK + 34K + 2K² for this
    block against 4NK + 34K² for the plain inception block (Eq. 3-7). Its 4NK + 34K is the
    four 1x1 convolutions and the two depthwise kernels here; the residual 1x1 (4NK) is not in
    its count, and its 2K² would be a pointwise K -> K convolution after each depthwise one,
    which Eq. 14-15 do not have. This function counts the block as Eq. 13-18 define it.
    """
    if len(branch_channels) != 4:
        raise ValueError(f"branch_channels must have 4 entries (F1..F4), got {len(branch_channels)}")
    b = 1 if bias else 0
    _, k2, k3, _ = branch_channels
    concat = sum(branch_channels)
    pointwise = in_channels * concat + b * concat  # the first 1x1 of F1..F4
    depthwise = 3 * 3 * k2 + 5 * 5 * k3
    residual = in_channels * out_channels + b * out_channels  # F5
    return pointwise + depthwise + residual


class DSInception(nn.Module):
    """DS-Inception block of seed 002 Eq. 13-18 (Appendix 2).

    x: (B, in_channels, H, W) -> (B, out_channels, H, W), non-negative (a sum of two ReLU outputs).

    Args:
        in_channels: channels of the input F.
        out_channels: channels of F' (and of the residual branch F5).
        branch_channels: widths (K1, K2, K3, K4) of F1..F4; they must sum to ``out_channels``.
            Default: ``out_channels`` split into four near-equal parts (seed 002 Fig. 2: 16 per
            branch for 64 output channels).
        bias: biases b1..b5 on the 1x1 convolutions (Eq. 13-17).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        branch_channels: tuple[int, int, int, int] | None = None,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if in_channels < 1 or out_channels < 4:
            raise ValueError(
                f"DSInception needs in_channels >= 1 and out_channels >= 4 (one per branch), "
                f"got {in_channels} -> {out_channels}"
            )
        widths = split_channels(out_channels) if branch_channels is None else tuple(branch_channels)
        if len(widths) != 4 or min(widths) < 1 or sum(widths) != out_channels:
            raise ValueError(
                f"branch_channels {widths} must be 4 positive widths summing to out_channels={out_channels}"
            )
        k1, k2, k3, k4 = widths
        self.branch_channels: tuple[int, int, int, int] = (k1, k2, k3, k4)
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, k1, 1, bias=bias), nn.ReLU(inplace=True))
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels, k2, 1, bias=bias),
            nn.ReLU(inplace=True),
            nn.Conv2d(k2, k2, 3, padding=1, groups=k2, bias=False),
            nn.ReLU(inplace=True),
        )
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, k3, 1, bias=bias),
            nn.ReLU(inplace=True),
            nn.Conv2d(k3, k3, 5, padding=2, groups=k3, bias=False),
            nn.ReLU(inplace=True),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1),
            nn.Conv2d(in_channels, k4, 1, bias=bias),
            nn.ReLU(inplace=True),
        )
        self.residual = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=bias), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        multiscale = torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)
        return multiscale + self.residual(x)
