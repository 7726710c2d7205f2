"""The CNNs seed 004 compares its network with (Table 5), from torchvision, for band slices.

AlexNet, VGG-16, VGG-19, GoogLeNet, ResNet-50, DenseNet-121 and MobileNetV2, each built with
``weights=None`` (nothing is downloaded) and ``num_classes`` outputs, adapted to multispectral
slices of a few pixels:

- the first convolution is replaced by one of the same shape taking ``in_channels`` bands
  (Kaiming-normal, fan-out, as torchvision initialises most of these networks);
- ``ResizeToMinSide`` resizes (bilinear) a slice whose shorter side is below the network's
  ``MIN_SIDE`` up to it, keeping the aspect ratio; larger slices pass unchanged.

``MIN_SIDE``: 32 px, the total stride of every one of these networks (five halvings), so that the
last stage sees at least a 1x1 map of the image rather than of padding. Below it VGG fails
outright (five unpadded 2x2 max-pools), DenseNet-121 fails under 29 px and GoogLeNet under 15 px;
ResNet-50 and MobileNetV2 run on any size but reach 1x1 maps of mostly padding. AlexNet's
unpadded 11x11/4 conv and three 3x3/2 max-pools need 63 px. The resize adds no information: an
18 px slice stays 18 px of data. GoogLeNet has no auxiliary heads (``aux_logits=False``).

The paper-size networks (AlexNet, VGG: 57-139 M parameters) carry ``scale="full"`` so that
registry-wide tests skip them; ``tests/models/test_terrain_baselines.py`` runs each once.
SSD, also in Table 5, is a detector and is not here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from mineguard.models.openpit import check_terrain_args
from mineguard.models.zoo import register_model

MIN_SIDE: dict[str, int] = {
    "terrain-alexnet": 63,
    "terrain-vgg16": 32,
    "terrain-vgg19": 32,
    "terrain-googlenet": 32,
    "terrain-resnet50": 32,
    "terrain-densenet121": 32,
    "terrain-mobilenetv2": 32,
}


class ResizeToMinSide(nn.Module):
    """x: (B, C, H, W) -> bilinear resize so that min(H', W') >= min_side, aspect kept; unchanged if already."""

    def __init__(self, min_side: int) -> None:
        super().__init__()
        self.min_side = min_side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if min(h, w) >= self.min_side:
            return x
        scale = self.min_side / min(h, w)
        size = (max(self.min_side, round(h * scale)), max(self.min_side, round(w * scale)))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class TerrainBaseline(nn.Module):
    """A torchvision classifier behind a resize: x (B, in_channels, H, W) -> logits (B, num_classes)."""

    def __init__(self, net: nn.Module, *, min_side: int, in_channels: int, config: dict) -> None:
        super().__init__()
        self.resize = ResizeToMinSide(min_side)
        self.net = net
        self.in_channels = in_channels
        self.config = dict(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected slices (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        return self.net(self.resize(x))


def _bands_input(conv: nn.Conv2d, in_channels: int) -> nn.Conv2d:
    """A fresh copy of the first convolution's geometry taking ``in_channels`` bands."""
    new = nn.Conv2d(
        in_channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        bias=conv.bias is not None,
    )
    nn.init.kaiming_normal_(new.weight, mode="fan_out", nonlinearity="relu")
    if new.bias is not None:
        nn.init.zeros_(new.bias)
    return new


def _wrap(name: str, net: nn.Module, in_channels: int, num_classes: int) -> TerrainBaseline:
    config = {"in_channels": in_channels, "num_classes": num_classes}
    return TerrainBaseline(net, min_side=MIN_SIDE[name], in_channels=in_channels, config=config)


def _features_first(name: str, build, in_channels: int, num_classes: int) -> TerrainBaseline:
    """AlexNet / VGG: the first conv of ``net.features`` takes the bands."""
    check_terrain_args(in_channels, num_classes)
    net = build(weights=None, num_classes=num_classes)
    net.features[0] = _bands_input(net.features[0], in_channels)
    return _wrap(name, net, in_channels, num_classes)


@register_model("terrain-alexnet", task="terrain", role="baseline", scale="full")
def terrain_alexnet(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """AlexNet (Krizhevsky et al. 2012); slices resized to 63+ px."""
    return _features_first("terrain-alexnet", torchvision.models.alexnet, in_channels, num_classes)


@register_model("terrain-vgg16", task="terrain", role="baseline", scale="full")
def terrain_vgg16(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """VGG-16 without BatchNorm (Simonyan & Zisserman 2014); slices resized to 32+ px."""
    return _features_first("terrain-vgg16", torchvision.models.vgg16, in_channels, num_classes)


@register_model("terrain-vgg19", task="terrain", role="baseline", scale="full")
def terrain_vgg19(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """VGG-19 without BatchNorm; slices resized to 32+ px."""
    return _features_first("terrain-vgg19", torchvision.models.vgg19, in_channels, num_classes)


@register_model("terrain-googlenet", task="terrain", role="baseline")
def terrain_googlenet(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """GoogLeNet / Inception-v1 (Szegedy et al. 2015) without auxiliary heads; slices resized to 32+ px."""
    check_terrain_args(in_channels, num_classes)
    net = torchvision.models.googlenet(weights=None, num_classes=num_classes, aux_logits=False, init_weights=True)
    net.conv1.conv = _bands_input(net.conv1.conv, in_channels)
    return _wrap("terrain-googlenet", net, in_channels, num_classes)


@register_model("terrain-resnet50", task="terrain", role="baseline")
def terrain_resnet50(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """ResNet-50 (He et al. 2016); slices resized to 32+ px."""
    check_terrain_args(in_channels, num_classes)
    net = torchvision.models.resnet50(weights=None, num_classes=num_classes)
    net.conv1 = _bands_input(net.conv1, in_channels)
    return _wrap("terrain-resnet50", net, in_channels, num_classes)


@register_model("terrain-densenet121", task="terrain", role="baseline")
def terrain_densenet121(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """DenseNet-121 (Huang et al. 2017); slices resized to 32+ px."""
    check_terrain_args(in_channels, num_classes)
    net = torchvision.models.densenet121(weights=None, num_classes=num_classes)
    net.features.conv0 = _bands_input(net.features.conv0, in_channels)
    return _wrap("terrain-densenet121", net, in_channels, num_classes)


@register_model("terrain-mobilenetv2", task="terrain", role="baseline")
def terrain_mobilenetv2(*, in_channels: int = 10, num_classes: int = 2) -> TerrainBaseline:
    """MobileNetV2 (Sandler et al. 2018); slices resized to 32+ px."""
    check_terrain_args(in_channels, num_classes)
    net = torchvision.models.mobilenet_v2(weights=None, num_classes=num_classes)
    net.features[0][0] = _bands_input(net.features[0][0], in_channels)
    return _wrap("terrain-mobilenetv2", net, in_channels, num_classes)
