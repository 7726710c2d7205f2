"""Attention modules, one file each, looked up by name (seed 001 ablations, seed 000 GCNet, seed 004 CBAM)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from mineguard.layers.attention.bam import BottleneckAttention
from mineguard.layers.attention.cbam import ConvolutionalBlockAttention
from mineguard.layers.attention.coord import CoordinateAttention
from mineguard.layers.attention.gc import GlobalContextBlock
from mineguard.layers.attention.se import SqueezeExcitation

ATTENTION_LAYERS: dict[str, Callable[..., nn.Module]] = {
    "ca": CoordinateAttention,
    "se": SqueezeExcitation,
    "bam": BottleneckAttention,
    "gc": GlobalContextBlock,
    "cbam": ConvolutionalBlockAttention,
}


def create_attention(name: str, channels: int, **kwargs: object) -> nn.Module:
    """Build the attention module ``name`` for ``channels`` input channels."""
    try:
        factory = ATTENTION_LAYERS[name]
    except KeyError:
        known = ", ".join(sorted(ATTENTION_LAYERS))
        raise ValueError(f"unknown attention '{name}' — choose one of: {known}") from None
    return factory(channels, **kwargs)


__all__ = [
    "ATTENTION_LAYERS",
    "BottleneckAttention",
    "ConvolutionalBlockAttention",
    "CoordinateAttention",
    "GlobalContextBlock",
    "SqueezeExcitation",
    "create_attention",
]
