"""RFB-s, the small Receptive Field Block (Liu et al., "Receptive Field Block Net", ECCV 2018).

Seed 004 §3.2.4 uses RFB-s for "horizontal" multi-scale fusion: dilated convolutions at four
rates widen the receptive field, and 3x1 / 1x3 convolutions add non-linearity at a low parameter
cost. The block follows RFBNet's ``BasicRFB_a``, with ``inter = in_channels // 4``::

    b0: 1x1 -> 3x3 (dilation d0)
    b1: 1x1 -> 3x1 -> 3x3 (dilation d1)
    b2: 1x1 -> 1x3 -> 3x3 (dilation d2)
    b3: 1x1 (inter/2) -> 1x3 (3/4 inter) -> 3x1 -> 3x3 (dilation d3)
    y = ReLU(scale · conv1x1([b0, b1, b2, b3]) + conv1x1(x))

Every conv is Conv-BN, with a ReLU except after each branch's dilated conv and the two 1x1
fusions (linear, as in RFBNet). ``dilations`` defaults to RFBNet's (1, 3, 3, 5): four branches,
four dilated convs; the seed's "four distinct speeds" reads as four branches, and distinct rates
are one argument away (``dilations=(1, 3, 5, 7)``). Spatial size is kept:
(B, in_channels, H, W) -> (B, out_channels, H, W), for any H, W >= 1 ('same' padding).
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.conv import ConvBNAct


class ReceptiveFieldBlockSmall(nn.Module):
    """RFB-s: four branches of growing receptive field, concatenated, fused by 1x1, plus a 1x1 shortcut."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        dilations: tuple[int, int, int, int] = (1, 3, 3, 5),
        scale: float = 1.0,
        act_layer: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        if len(dilations) != 4:
            raise ValueError(f"RFB-s has four branches: give four dilations, got {dilations}")
        inter = max(4, in_channels // 4)
        d0, d1, d2, d3 = dilations

        def conv(cin: int, cout: int, k: int | tuple[int, int], *, act: bool = True) -> ConvBNAct:
            return ConvBNAct(cin, cout, k, act_layer=act_layer if act else None)

        def dilated(rate: int) -> ConvBNAct:  # each branch ends in a linear dilated 3x3
            return ConvBNAct(inter, inter, 3, dilation=rate, act_layer=None)

        self.branches = nn.ModuleList(
            [
                nn.Sequential(conv(in_channels, inter, 1), dilated(d0)),
                nn.Sequential(conv(in_channels, inter, 1), conv(inter, inter, (3, 1)), dilated(d1)),
                nn.Sequential(conv(in_channels, inter, 1), conv(inter, inter, (1, 3)), dilated(d2)),
                nn.Sequential(
                    conv(in_channels, inter // 2, 1),
                    conv(inter // 2, inter // 4 * 3, (1, 3)),
                    conv(inter // 4 * 3, inter, (3, 1)),
                    dilated(d3),
                ),
            ]
        )
        self.fuse = conv(4 * inter, out_channels, 1, act=False)
        self.shortcut = conv(in_channels, out_channels, 1, act=False)
        self.scale = scale
        self.act = act_layer()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fused = self.fuse(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.act(self.scale * fused + self.shortcut(x))
