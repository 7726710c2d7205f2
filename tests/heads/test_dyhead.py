"""DyHead (seed 001 §2.2): hard sigmoid, dynamic ReLU, block wiring, pyramid shapes, gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mineguard.heads.dyhead import DyHead, DyHeadBlock, DynamicReLU, ModulatedDeformConv, hard_sigmoid


def _pyramid(channels: int, sizes: list[tuple[int, int]], seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, channels, h, w, generator=g) for h, w in sizes]


@pytest.mark.parametrize(
    ("x", "expected"), [(-3.0, 0.0), (-1.0, 0.0), (-0.5, 0.25), (0.0, 0.5), (0.5, 0.75), (1.0, 1.0), (3.0, 1.0)]
)
def test_hard_sigmoid_known_values(x: float, expected: float) -> None:
    assert hard_sigmoid(torch.tensor(x)).item() == pytest.approx(expected)


def _zero_last_layer(module: DynamicReLU) -> nn.Conv2d:
    last = module.fc[-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return last


def test_dynamic_relu_with_zero_hyper_function_is_relu() -> None:
    """θ = hardsigmoid(0) - 0.5 = 0 -> α¹ = 1, β¹ = α² = β² = 0 -> max(x, 0)."""
    module = DynamicReLU(16)
    _zero_last_layer(module)
    x = torch.randn(2, 16, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(module(x), torch.relu(x), rtol=0, atol=0)


def test_dynamic_relu_known_coefficients_from_the_bias() -> None:
    """hardsigmoid(z) = z/6 + 1/2 on [-3, 3]: biases (0, 1.2, -3, 0) -> α¹ = 1, β¹ = 0.2, α² = -1,
    β² = 0, so the output is max(x + 0.2, -x)."""
    c = 8
    module = DynamicReLU(c)
    last = _zero_last_layer(module)
    with torch.no_grad():
        last.bias[c : 2 * c] = 1.2
        last.bias[2 * c : 3 * c] = -3.0
        x = torch.randn(2, c, 4, 4)
        torch.testing.assert_close(module(x), torch.maximum(x + 0.2, -x))


def test_dynamic_relu_coefficients_are_bounded() -> None:
    """α¹ ∈ [0, 2], α² ∈ [-1, 1], β ∈ [-0.5, 0.5] whatever the hyper-function outputs: for x = 0
    the output is max(β¹, β²) ∈ [-0.5, 0.5]."""
    module = DynamicReLU(8)
    nn.init.normal_(module.fc[-1].bias, std=100.0)
    with torch.no_grad():
        out = module(torch.zeros(2, 8, 3, 3))
    assert out.abs().max() <= 0.5


@pytest.mark.parametrize("depth", [0, 4, -1])
def test_dyhead_depth_outside_1_to_3_is_rejected(depth: int) -> None:
    with pytest.raises(ValueError, match="depth must be 1, 2 or 3"):
        DyHead(32, depth=depth)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_dyhead_stacks_depth_blocks(depth: int) -> None:
    assert len(DyHead(16, depth=depth).blocks) == depth


@pytest.mark.parametrize(
    "sizes",
    [
        [(16, 16), (8, 8), (4, 4)],  # 128 px input
        [(12, 12), (6, 6), (3, 3)],  # 96 px input: odd coarse levels
        [(13, 7), (7, 4), (4, 2)],  # 100 x 56 px input: odd, non-square
        [(4, 4), (2, 2), (1, 1)],  # 32 px input: a 1 x 1 top level
    ],
    ids=["128px", "96px", "100x56px", "32px"],
)
def test_dyhead_keeps_pyramid_shapes(sizes: list[tuple[int, int]]) -> None:
    torch.manual_seed(0)
    head = DyHead(32, depth=2)
    feats = _pyramid(32, sizes)
    outs = head(feats)
    assert [o.shape for o in outs] == [f.shape for f in feats]
    assert all(torch.isfinite(o).all() for o in outs)


def test_dyhead_gradients_reach_inputs_and_every_parameter() -> None:
    torch.manual_seed(0)
    head = DyHead(16, depth=2)
    feats = [f.requires_grad_() for f in _pyramid(16, [(8, 8), (4, 4), (2, 2)])]
    sum(o.square().mean() for o in head(feats)).backward()
    for f in feats:
        assert f.grad is not None and torch.isfinite(f.grad).all() and f.grad.abs().sum() > 0
    for name, p in head.named_parameters():
        assert p.grad is not None, f"no gradient for {name}"
        assert torch.isfinite(p.grad).all(), name
    # offsets start at zero but learn: their conv gets a gradient
    assert head.blocks[0].offset_mask.weight.grad.abs().sum() > 0


def test_modulated_deform_conv_shapes() -> None:
    conv = ModulatedDeformConv(16, 8)
    assert isinstance(conv.norm, nn.GroupNorm) and conv.norm.num_groups == 8  # gcd(16, 8)
    x = torch.randn(2, 16, 8, 8)
    y = conv(x, torch.zeros(2, 18, 4, 4), torch.ones(2, 9, 4, 4))  # output grid set by the offsets
    assert y.shape == (2, 8, 4, 4)


def test_block_with_zero_offsets_is_scale_aware_average_of_plain_convolutions() -> None:
    """At init the offsets are 0 and the importance mask σ(0) = 0.5, so π_S is a plain 3x3 conv
    (times 0.5) + GroupNorm. Rebuild the two-level block output by hand from its parts."""
    torch.manual_seed(0)
    block = DyHeadBlock(16).eval()
    fine, coarse = _pyramid(16, [(8, 8), (4, 4)])

    def spatial(conv: ModulatedDeformConv, x: torch.Tensor, stride: int = 1) -> torch.Tensor:
        return conv.norm(0.5 * F.conv2d(x, conv.weight, stride=stride, padding=1))

    with torch.no_grad():
        out_fine, out_coarse = block([fine, coarse])
        up = F.interpolate(spatial(block.conv_coarser, coarse), size=(8, 8), mode="bilinear", align_corners=True)
        want_fine = block.task((block._scale(spatial(block.conv_same, fine)) + block._scale(up)) / 2)
        want_coarse = block.task(
            (block._scale(spatial(block.conv_same, coarse)) + block._scale(spatial(block.conv_finer, fine, 2))) / 2
        )
    torch.testing.assert_close(out_fine, want_fine, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out_coarse, want_coarse, rtol=1e-5, atol=1e-5)


def test_single_level_pyramid_uses_only_its_own_conv() -> None:
    torch.manual_seed(0)
    block = DyHeadBlock(8).eval()
    (x,) = _pyramid(8, [(5, 6)])
    with torch.no_grad():
        (out,) = block([x])
        same = block.conv_same.norm(0.5 * F.conv2d(x, block.conv_same.weight, padding=1))
        torch.testing.assert_close(out, block.task(block._scale(same)), rtol=1e-5, atol=1e-5)


def test_scale_aware_weight_is_hard_sigmoid_of_pooled_features() -> None:
    block = DyHeadBlock(8)
    nn.init.zeros_(block.scale_fc.weight)
    nn.init.constant_(block.scale_fc.bias, 0.2)  # π_L = hard_sigmoid(0.2) = 0.6 for every level
    x = torch.randn(2, 8, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(block._scale(x), 0.6 * x)
