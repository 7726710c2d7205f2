"""Shapes and parameter counts of the YOLOv10 building blocks (conv.py, csp.py, psa.py) and the DS conv."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mineguard.layers.conv import ConvBNAct, DepthwiseSeparableConv, DWConv, autopad
from mineguard.layers.csp import CIB, SPPF, Bottleneck, C2f, C2fCIB, RepVGGDW, SCDown
from mineguard.layers.psa import PSA, MultiHeadSelfAttention


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _cbs(cin: int, cout: int, k: int, groups: int = 1) -> int:
    """Parameters of Conv (no bias) + BN (weight, bias): cin/groups * cout * k² + 2 cout."""
    return cin // groups * cout * k * k + 2 * cout


def _x(channels: int, h: int = 16, w: int = 16) -> torch.Tensor:
    return torch.randn(2, channels, h, w, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("kernel", "dilation", "expected"),
    [(1, 1, 0), (3, 1, 1), (5, 1, 2), (7, 1, 3), (3, 2, 2), ((3, 1), 1, (1, 0)), ((1, 3), 5, (0, 5))],
)
def test_autopad(kernel: int | tuple[int, int], dilation: int, expected: int | tuple[int, int]) -> None:
    assert autopad(kernel, dilation) == expected


def test_depthwise_separable_conv_weights_follow_seed_004_eq_3() -> None:
    """Conv weights k²·q + q·p (Eq. 3) instead of k²·q·p (Eq. 2); BN adds 2 per channel of each part."""
    q, p, k = 24, 40, 3
    block = DepthwiseSeparableConv(q, p, k)
    conv_weights = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    assert conv_weights == (k * k + p) * q < k * k * p * q
    assert _params(block) == (k * k + p) * q + 2 * q + 2 * p
    assert block.depthwise.conv.groups == q and block.pointwise.conv.kernel_size == (1, 1)


@pytest.mark.parametrize(("stride", "size", "expected"), [(1, 3, 3), (1, 18, 18), (2, 18, 9), (2, 9, 5), (2, 1, 1)])
def test_depthwise_separable_conv_shapes(stride: int, size: int, expected: int) -> None:
    assert DepthwiseSeparableConv(8, 12, stride=stride)(_x(8, size, size)).shape == (2, 12, expected, expected)


@pytest.mark.parametrize(
    ("block", "in_channels", "out_shape"),
    [
        (ConvBNAct(8, 16, 3), 8, (2, 16, 16, 16)),
        (ConvBNAct(8, 16, 3, 2), 8, (2, 16, 8, 8)),
        (ConvBNAct(8, 16, 3, dilation=2), 8, (2, 16, 16, 16)),
        (DWConv(8, 5), 8, (2, 8, 16, 16)),
        (Bottleneck(8, 8), 8, (2, 8, 16, 16)),
        (Bottleneck(8, 16), 8, (2, 16, 16, 16)),
        (C2f(8, 16, depth=1), 8, (2, 16, 16, 16)),
        (C2f(16, 16, depth=3, shortcut=True), 16, (2, 16, 16, 16)),
        (SCDown(8, 16), 8, (2, 16, 8, 8)),
        (RepVGGDW(8), 8, (2, 8, 16, 16)),
        (CIB(8, 8), 8, (2, 8, 16, 16)),
        (CIB(8, 16, large_kernel=True), 8, (2, 16, 16, 16)),
        (C2fCIB(16, 16, depth=2, shortcut=True), 16, (2, 16, 16, 16)),
        (C2fCIB(24, 16, depth=1, large_kernel=True), 24, (2, 16, 16, 16)),
        (SPPF(16, 8), 16, (2, 8, 16, 16)),
        (PSA(64), 64, (2, 64, 16, 16)),
        (PSA(256), 256, (2, 256, 16, 16)),  # YOLOv10-N's P5 width: 2 heads
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else None,
)
def test_block_shapes_and_gradients(block: nn.Module, in_channels: int, out_shape: tuple[int, ...]) -> None:
    x = _x(in_channels).requires_grad_()
    y = block(x)
    assert y.shape == out_shape
    assert torch.isfinite(y).all()
    y.mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in block.parameters())


@pytest.mark.parametrize(("size", "expected"), [(16, 8), (15, 8), (3, 2), (1, 1)])
def test_scdown_halves_even_and_odd_sizes_like_a_strided_conv(size: int, expected: int) -> None:
    block = SCDown(4, 8).eval()
    with torch.no_grad():
        assert block(_x(4, size, size + 1)).shape == (2, 8, expected, (size + 1 + 1) // 2)


def test_scdown_is_pointwise_then_depthwise_strided() -> None:
    block = SCDown(16, 32)
    assert block.cv1.conv.kernel_size == (1, 1) and block.cv1.conv.stride == (1, 1)
    assert block.cv2.conv.groups == 32 and block.cv2.conv.stride == (2, 2)
    assert isinstance(block.cv2.act, nn.Identity)
    assert _params(block) == _cbs(16, 32, 1) + _cbs(32, 32, 3, groups=32)  # 576 + 352


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_c2f_depth(depth: int) -> None:
    block = C2f(16, 32, depth=depth)
    assert len(block.m) == depth
    assert block.hidden == 16
    assert block.cv2.conv.in_channels == (2 + depth) * 16  # every stage is concatenated
    expected = _cbs(16, 32, 1) + _cbs((2 + depth) * 16, 32, 1) + depth * 2 * _cbs(16, 16, 3)
    assert _params(block) == expected


def test_bottleneck_residual_only_when_channels_match() -> None:
    assert Bottleneck(8, 8).add
    assert not Bottleneck(8, 8, shortcut=False).add
    assert not Bottleneck(8, 16).add
    # with the residual, zeroing the last BN's weight and bias makes the block the identity
    block = Bottleneck(8, 8).eval()
    nn.init.zeros_(block.cv2.bn.weight)
    nn.init.zeros_(block.cv2.bn.bias)
    x = _x(8)
    with torch.no_grad():
        torch.testing.assert_close(block(x), x)


@pytest.mark.parametrize("large_kernel", [False, True])
def test_c2fcib_large_kernel(large_kernel: bool) -> None:
    block = C2fCIB(32, 32, depth=1, shortcut=True, large_kernel=large_kernel)
    cib = block.m[0]
    assert isinstance(cib, CIB) and cib.add
    middle = cib.cv1[2]
    if large_kernel:
        assert isinstance(middle, RepVGGDW)
        assert middle.conv7.conv.kernel_size == (7, 7) and middle.conv3.conv.kernel_size == (3, 3)
    else:
        assert isinstance(middle, DWConv) and middle.conv.kernel_size == (3, 3)
    # RepVGGDW replaces a 3x3 DW CBS (16*9 + 32) by 7x7 + 3x3 DW CBS (16*49 + 32 + 16*9 + 32)
    c = 2 * 16  # CIB hidden: expansion 1.0 on 16 channels -> 2 * 16
    extra = _cbs(c, c, 7, groups=c) if large_kernel else 0
    assert _params(block) == _params(C2fCIB(32, 32, depth=1, shortcut=True)) + extra


def test_param_counts_against_hand_formulas() -> None:
    assert _params(ConvBNAct(3, 16, 3)) == 3 * 16 * 9 + 2 * 16 == 464
    assert _params(DWConv(32, 3)) == 32 * 9 + 2 * 32
    assert _params(Bottleneck(16, 16)) == 2 * (16 * 16 * 9 + 2 * 16)
    assert _params(SPPF(64, 64)) == _cbs(64, 32, 1) + _cbs(128, 64, 1) == 10432
    # CIB(8 -> 8, expansion 0.5): DW3(8) -> 1x1 8->8 -> DW3(8) -> 1x1 8->8 -> DW3(8)
    assert _params(CIB(8, 8)) == 3 * _cbs(8, 8, 3, groups=8) + 2 * _cbs(8, 8, 1)


def test_sppf_chained_pools_equal_spp_pools_of_5_9_13() -> None:
    """SPPF's three chained 5x5 max-pools see 5x5, 9x9 and 13x13 windows (SPP of YOLOv3/v4)."""
    block = SPPF(32, 16, kernel_size=5)
    assert block.cv2.conv.in_channels == 4 * 16
    x = _x(4, 15, 17)
    once = block.pool(x)
    twice = block.pool(once)
    torch.testing.assert_close(twice, nn.MaxPool2d(9, 1, 4)(x))
    torch.testing.assert_close(block.pool(twice), nn.MaxPool2d(13, 1, 6)(x))


def test_psa_heads_and_parameter_count() -> None:
    block = PSA(256)
    assert block.hidden == 128
    assert block.attn.num_heads == 2 and block.attn.head_dim == 64 and block.attn.key_dim == 32
    hidden, qkv = 128, 128 + 2 * 32 * 2
    attn = _cbs(hidden, qkv, 1) + _cbs(hidden, hidden, 1) + _cbs(hidden, hidden, 3, groups=hidden)
    ffn = _cbs(hidden, 2 * hidden, 1) + _cbs(2 * hidden, hidden, 1)
    assert _params(block) == _cbs(256, 256, 1) + _cbs(256, 256, 1) + attn + ffn


def test_self_attention_is_permutation_equivariant_without_positional_term() -> None:
    """Plain MHSA mixes all positions: zero the depthwise positional encoding and permuting the
    pixels permutes the output the same way."""
    torch.manual_seed(0)
    mhsa = MultiHeadSelfAttention(16, num_heads=2).eval()
    nn.init.zeros_(mhsa.pe.bn.weight)
    nn.init.zeros_(mhsa.pe.bn.bias)
    nn.init.zeros_(mhsa.pe.bn.running_mean)
    x = _x(16, 4, 4)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = mhsa(x).flatten(2)[..., perm]
        y_perm = mhsa(x.flatten(2)[..., perm].view_as(x)).flatten(2)
    torch.testing.assert_close(y_perm, y)
