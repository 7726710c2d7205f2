"""Attention modules: registry-wide shape/gradient checks and known behaviour of each module."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from mineguard.layers.attention import (
    ATTENTION_LAYERS,
    BottleneckAttention,
    ConvolutionalBlockAttention,
    CoordinateAttention,
    SqueezeExcitation,
    create_attention,
)


def _positive_input(shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) + 0.1


@pytest.mark.parametrize("name", sorted(ATTENTION_LAYERS))
def test_shape_kept_gradients_flow_no_nans(name: str) -> None:
    torch.manual_seed(0)
    module = create_attention(name, 32)
    x = torch.randn(2, 32, 8, 12, requires_grad=True)  # non-square
    y = module(x)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()
    y.square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    for pname, p in module.named_parameters():
        assert p.grad is not None, f"{name}: no gradient for {pname}"
        assert torch.isfinite(p.grad).all(), f"{name}: non-finite gradient for {pname}"
    module.eval()
    with torch.no_grad():
        assert torch.isfinite(module(x)).all()


@pytest.mark.parametrize("name", sorted(ATTENTION_LAYERS))
def test_one_by_one_map_and_small_channel_count(name: str) -> None:
    module = create_attention(name, 8).eval()
    with torch.no_grad():
        assert module(torch.randn(2, 8, 1, 1)).shape == (2, 8, 1, 1)


@pytest.mark.parametrize("name", sorted(ATTENTION_LAYERS))
def test_factory_passes_keyword_arguments(name: str) -> None:
    module = create_attention(name, 64, reduction=4)
    assert isinstance(module, ATTENTION_LAYERS[name])
    assert sum(p.numel() for p in module.parameters()) > sum(
        p.numel() for p in create_attention(name, 64, reduction=8).parameters()
    )


def test_create_attention_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown attention 'nonlocal'") as info:
        create_attention("nonlocal", 32)
    for name in ATTENTION_LAYERS:
        assert name in str(info.value)


# --------------------------------------------------------------------------- Coordinate Attention


def _coordinate_gates(module: CoordinateAttention, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(output, g_h (B, C, H, 1), g_w (B, C, 1, W)), gates read from conv_h / conv_w by hooks."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        module.conv_h.register_forward_hook(lambda m, i, o: seen.__setitem__("h", o.sigmoid())),
        module.conv_w.register_forward_hook(lambda m, i, o: seen.__setitem__("w", o.sigmoid())),
    ]
    try:
        y = module(x)
    finally:
        for h in hooks:
            h.remove()
    return y, seen["h"], seen["w"]


def test_coordinate_attention_is_x_times_height_and_width_gates() -> None:
    """Eq. 4: y_c(i, j) = x_c(i, j) g^h_c(i) g^w_c(j), gates in (0, 1) -> 0 < y < x for x > 0."""
    torch.manual_seed(0)
    module = CoordinateAttention(16).eval()
    x = _positive_input((2, 16, 6, 9))
    with torch.no_grad():
        y, g_h, g_w = _coordinate_gates(module, x)
    assert g_h.shape == (2, 16, 6, 1) and g_w.shape == (2, 16, 1, 9)
    torch.testing.assert_close(y, x * g_h * g_w)
    assert ((y > 0) & (y < x)).all()
    # the attention map y / x is rank one per (image, channel): r(i, j) r(k, l) = r(i, l) r(k, j)
    r = y / x
    torch.testing.assert_close(r[..., 0:1, :] * r[..., :, 0:1], r * r[..., 0:1, 0:1])


def test_coordinate_attention_constant_along_width_gives_width_independent_attention() -> None:
    torch.manual_seed(0)
    module = CoordinateAttention(16).eval()
    column = _positive_input((2, 16, 7, 1))
    x = column.expand(-1, -1, -1, 5).contiguous()  # every column the same
    with torch.no_grad():
        y, _, g_w = _coordinate_gates(module, x)
    torch.testing.assert_close(g_w, g_w[..., :1].expand_as(g_w))  # one width gate for all columns
    torch.testing.assert_close(y, y[..., :1].expand_as(y))  # so the output stays constant along width


def test_coordinate_attention_is_symmetric_in_height_and_width_when_its_two_branches_are() -> None:
    torch.manual_seed(0)
    module = CoordinateAttention(16).eval()
    with torch.no_grad():
        module.conv_w.load_state_dict(module.conv_h.state_dict())
        x = torch.randn(1, 16, 5, 8)
        torch.testing.assert_close(module(x.transpose(2, 3)), module(x).transpose(2, 3))


def test_coordinate_attention_defaults_and_seed_reading() -> None:
    module = CoordinateAttention(64)
    assert isinstance(module.act, nn.Hardswish)  # h-swish of Hou et al.
    assert module.conv1.out_channels == 8  # max(8, 64 // 32)
    assert isinstance(CoordinateAttention(64, act_layer=nn.ReLU).act, nn.ReLU)  # seed 001 writes ReLU
    # conv1 (64*8 + 8) + BN (2*8) + conv_h and conv_w (8*64 + 64 each)
    assert sum(p.numel() for p in module.parameters()) == 64 * 8 + 8 + 16 + 2 * (8 * 64 + 64)


# --------------------------------------------------------------------------- SE and BAM


def test_squeeze_excitation_scales_whole_channels_by_weights_in_0_1() -> None:
    torch.manual_seed(0)
    x = _positive_input((2, 16, 5, 6))
    with torch.no_grad():
        ratio = SqueezeExcitation(16)(x) / x
    torch.testing.assert_close(ratio, ratio[..., :1, :1].expand_as(ratio))  # one weight per channel
    assert ((ratio > 0) & (ratio < 1)).all()


def test_bottleneck_attention_is_residual_with_gate_in_0_1() -> None:
    """F' = F + F σ(M_c + M_s): for F > 0, F < F' < 2F."""
    torch.manual_seed(0)
    x = _positive_input((2, 16, 9, 9))
    with torch.no_grad():
        ratio = BottleneckAttention(16).eval()(x) / x
    assert ((ratio > 1) & (ratio < 2)).all()


def _identity_1x1(conv: nn.Conv2d) -> None:
    """Set a square 1x1 conv to the identity map (weight I, bias 0)."""
    with torch.no_grad():
        conv.weight.copy_(torch.eye(conv.out_channels).view(conv.out_channels, conv.in_channels, 1, 1))
        conv.bias.zero_()


def test_squeeze_excitation_with_zero_weights_halves_every_channel() -> None:
    """Eq. 5 with W1 = W2 = 0: s = σ(0) = 0.5 for every channel, so Eq. 6 gives 0.5 x."""
    module = SqueezeExcitation(16)
    with torch.no_grad():
        for p in module.parameters():
            p.zero_()
        x = torch.randn(2, 16, 5, 5)
        torch.testing.assert_close(module(x), 0.5 * x)


def test_squeeze_excitation_known_gate_favours_the_dominant_channel() -> None:
    """W1 = W2 = I (8 channels, reduction 1): s_c = σ(ReLU(mean_c)) exactly (Eq. 4-6)."""
    module = SqueezeExcitation(8, reduction=1)
    _identity_1x1(module.fc1)
    _identity_1x1(module.fc2)
    x = torch.full((1, 8, 4, 4), 0.5)
    x[:, 3] = 3.0  # channel 3 dominant
    with torch.no_grad():
        gate = (module(x) / x)[0, :, 0, 0]
    expected = torch.sigmoid(torch.tensor([0.5] * 3 + [3.0] + [0.5] * 4))
    torch.testing.assert_close(gate, expected)
    assert gate.argmax() == 3


@pytest.mark.parametrize(
    "factory", [CoordinateAttention, SqueezeExcitation, BottleneckAttention, ConvolutionalBlockAttention]
)
def test_zero_input_gives_zero_output(factory: Callable[..., nn.Module]) -> None:
    with torch.no_grad():
        y = factory(16).eval()(torch.zeros(1, 16, 4, 4))
    assert torch.count_nonzero(y) == 0
