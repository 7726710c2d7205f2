"""Lightweight dense attention network for open-pit mine slices of Sentinel-2 bands (seed 004 §3.2, Fig. 2-3).

Seed 004 classifies slices of 3 to 36 px (its Table 3; 18 px is best) as "coal mine" / "no coal
mine". The network, in the order of §3.2.2-3.2.4::

    x (B, bands, H, W)
      -> stem: two 3x3 Conv-BN-ReLU                                  (B, width, H, W)
      -> dense block: 8 depthwise separable layers (+growth each)     (B, width + 8·growth, H, W)
      -> SE (Eq. 4-6) -> CBAM                                        channel, then channel + spatial attention
      -> 1x1 transition to 2·width = P_0; P_1, P_2 = DS conv of the halved previous level
      -> PAN: top-down, bottom-up, CBAM on each fused map          N_0, N_1, N_2
      -> RFB-s on N_2 (the deepest)                                  horizontal multi-scale fusion
      -> global average pool of each level, concatenated -> linear   (B, num_classes) logits

Levels halve only while their shorter side is at least 6 px (``HalveIfLarge``), so inputs as
small as 3x3 keep a 3x3 map at every level, and 64 px slices give 64, 32 and 16 px levels; all
pooling before the head is global (adaptive), so any H, W >= 1 works. ``forward`` returns
logits in train and eval mode (softmax outside).

Ablation switches: ``se``, ``cbam``, ``pan``, ``rfb``. Off means the module is not built (its
attribute is None). ``cbam=False`` removes every CBAM, the PAN's included; ``pan=False`` sends the
deepest level P_2 alone to RFB-s and the head. The seed gives no widths, activation or
growth rate: ``width=32``, ``growth=16`` and ReLU are ours (125 k parameters at 10 bands, 2 classes).
"""

from __future__ import annotations

import torch
from torch import nn

from mineguard.layers.attention import ConvolutionalBlockAttention, SqueezeExcitation
from mineguard.layers.conv import ConvBNAct, DepthwiseSeparableConv
from mineguard.layers.dense import DenseBlock
from mineguard.layers.pan import HalveIfLarge, PathAggregation
from mineguard.layers.rfb import ReceptiveFieldBlockSmall
from mineguard.models.zoo import register_model

LEVELS = 3


def check_terrain_args(in_channels: int, num_classes: int) -> None:
    """The checks every terrain classifier makes on its builder arguments."""
    if in_channels < 1:
        raise ValueError(f"in_channels must be >= 1 (the number of bands, 10 for Sentinel-2), got {in_channels}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2 (mine / no mine is 2), got {num_classes}")


class OpenPitDenseNet(nn.Module):
    """Seed 004's lightweight dense network: x (B, in_channels, H, W) -> logits (B, num_classes)."""

    def __init__(
        self,
        *,
        in_channels: int = 10,
        num_classes: int = 2,
        width: int = 32,
        growth: int = 16,
        dense_layers: int = 8,
        se: bool = True,
        cbam: bool = True,
        pan: bool = True,
        rfb: bool = True,
        min_side: int = 6,
    ) -> None:
        super().__init__()
        check_terrain_args(in_channels, num_classes)
        if width < 1 or growth < 1:
            raise ValueError(f"width and growth must be >= 1, got width={width}, growth={growth}")
        self.in_channels = in_channels
        self.stem = nn.Sequential(
            ConvBNAct(in_channels, width, 3, act_layer=nn.ReLU), ConvBNAct(width, width, 3, act_layer=nn.ReLU)
        )
        self.dense = DenseBlock(width, num_layers=dense_layers, growth=growth)
        dense_out, neck = self.dense.out_channels, 2 * width
        self.se = SqueezeExcitation(dense_out) if se else None
        self.cbam = ConvolutionalBlockAttention(dense_out) if cbam else None
        self.transition = ConvBNAct(dense_out, neck, 1, act_layer=nn.ReLU)
        self.halve = HalveIfLarge(min_side)
        self.downs = nn.ModuleList(DepthwiseSeparableConv(neck, neck) for _ in range(LEVELS - 1))
        attn = ConvolutionalBlockAttention if cbam else None
        self.pan = PathAggregation(neck, LEVELS, attn_layer=attn, min_side=min_side) if pan else None
        self.rfb = ReceptiveFieldBlockSmall(neck, neck) if rfb else None
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(neck * (LEVELS if pan else 1), num_classes)
        self.config = {
            "in_channels": in_channels,
            "num_classes": num_classes,
            "width": width,
            "growth": growth,
            "dense_layers": dense_layers,
            "se": se,
            "cbam": cbam,
            "pan": pan,
            "rfb": rfb,
            "min_side": min_side,
        }

    def levels(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: (B, in_channels, H, W) -> P_0, P_1, P_2 (B, 2·width, H_i, W_i), before the PAN."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected slices (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        x = self.dense(self.stem(x))
        if self.se is not None:
            x = self.se(x)
        if self.cbam is not None:
            x = self.cbam(x)
        levels = [self.transition(x)]
        for down in self.downs:
            levels.append(down(self.halve(levels[-1])))
        return levels

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_channels, H, W) -> pooled feature (B, D), D = 2·width·(3 with the PAN, else 1)."""
        levels = self.levels(x)
        maps = self.pan(levels) if self.pan is not None else levels[-1:]
        if self.rfb is not None:
            maps = [*maps[:-1], self.rfb(maps[-1])]
        return torch.cat([self.pool(m).flatten(1) for m in maps], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_channels, H, W) band reflectances -> logits (B, num_classes)."""
        return self.classifier(self.embed(x))


@register_model("openpit-dense", task="terrain")
def openpit_dense(
    *,
    in_channels: int = 10,
    num_classes: int = 2,
    width: int = 32,
    growth: int = 16,
    dense_layers: int = 8,
    se: bool = True,
    cbam: bool = True,
    pan: bool = True,
    rfb: bool = True,
    min_side: int = 6,
) -> OpenPitDenseNet:
    """Seed 004 §3.2: stem, dense block of 8 DS convs, SE, CBAM, attention PAN, RFB-s; switches for its ablation."""
    return OpenPitDenseNet(
        in_channels=in_channels,
        num_classes=num_classes,
        width=width,
        growth=growth,
        dense_layers=dense_layers,
        se=se,
        cbam=cbam,
        pan=pan,
        rfb=rfb,
        min_side=min_side,
    )
