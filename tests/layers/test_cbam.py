"""CBAM (Woo et al. 2018; seed 004 §3.2.3): known gates for set weights, shapes from 1 to 64 px."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mineguard.layers.attention import ConvolutionalBlockAttention
from mineguard.layers.attention.cbam import ChannelAttention, SpatialAttention


def _zero(module: nn.Module) -> nn.Module:
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
    return module


def _identity_mlp(module: ChannelAttention) -> ChannelAttention:
    """MLP C -> C -> C with identity weights and no bias: M_c = σ(ReLU(avg) + ReLU(max))."""
    with torch.no_grad():
        for conv in (module.mlp[0], module.mlp[2]):
            conv.weight.copy_(torch.eye(conv.out_channels).view_as(conv.weight))
            conv.bias.zero_()
    return module


def test_zero_weights_scale_by_a_half_twice() -> None:
    """σ(0) = 0.5 for the channel gate, then again for the spatial gate: F'' = F / 4."""
    module = _zero(ConvolutionalBlockAttention(16))
    x = torch.randn(2, 16, 7, 5)
    with torch.no_grad():
        torch.testing.assert_close(module(x), 0.25 * x)


def test_channel_gate_is_sigmoid_of_mlp_of_avg_plus_mlp_of_max() -> None:
    module = _identity_mlp(ChannelAttention(8, reduction=1))
    x = torch.full((1, 8, 3, 3), 0.5)
    x[0, 5, 1, 1] = 4.0  # channel 5 dominant: mean 0.5 + 3.5 / 9, max 4
    with torch.no_grad():
        gate = module.gate(x).flatten()
    expected = torch.full((8,), torch.sigmoid(torch.tensor(1.0)).item())
    expected[5] = torch.sigmoid(torch.tensor(0.5 + 3.5 / 9 + 4.0))
    torch.testing.assert_close(gate, expected)
    assert gate.argmax() == 5


def test_spatial_gate_of_a_constant_map_is_uniform() -> None:
    """Replicate padding: a spatially constant map gets one gate value at every pixel, borders included."""
    torch.manual_seed(0)
    module = SpatialAttention()
    x = torch.randn(2, 16, 1, 1).expand(-1, -1, 9, 9)
    with torch.no_grad():
        gate = module.gate(x)
    torch.testing.assert_close(gate, gate[..., :1, :1].expand_as(gate))


def test_spatial_gate_with_only_a_centre_tap_on_the_max_map_is_sigmoid_of_channel_max() -> None:
    module = _zero(SpatialAttention())
    with torch.no_grad():
        module.conv.weight[0, 1, 3, 3] = 1.0  # channel-max input, centre of the 7x7 kernel
    x = torch.rand(1, 4, 6, 6)
    x[0, 2, 4, 1] = 5.0  # the brightest pixel gets the largest weight
    with torch.no_grad():
        gate = module.gate(x)
    torch.testing.assert_close(gate, torch.sigmoid(x.amax(dim=1, keepdim=True)))
    assert gate.flatten().argmax() == 4 * 6 + 1


@pytest.mark.parametrize("size", [1, 3, 6, 9, 18, 36, 64])
def test_shape_kept_at_slice_sizes(size: int) -> None:
    module = ConvolutionalBlockAttention(32).eval()
    with torch.no_grad():
        y = module(torch.randn(2, 32, size, size))
    assert y.shape == (2, 32, size, size) and torch.isfinite(y).all()


def test_channel_then_spatial() -> None:
    torch.manual_seed(0)
    module = ConvolutionalBlockAttention(16)
    x = torch.randn(2, 16, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(module(x), module.spatial(module.channel(x)))
    assert module.spatial.conv.padding_mode == "replicate" and module.spatial.conv.kernel_size == (7, 7)
