"""The small PAN of seed 004 §3.2.4: the halving rule, shapes, both fusion paths, attention slots."""

from __future__ import annotations

import pytest
import torch

from mineguard.layers.attention import ConvolutionalBlockAttention
from mineguard.layers.pan import HalveIfLarge, PathAggregation


def _levels(size: int, channels: int = 8, levels: int = 3, *, requires_grad: bool = False) -> list[torch.Tensor]:
    halve, out = HalveIfLarge(), [torch.randn(2, channels, size, size, requires_grad=requires_grad)]
    for _ in range(levels - 1):
        out.append(torch.randn(2, channels, *halve(out[-1]).shape[-2:], requires_grad=requires_grad))
    return out


@pytest.mark.parametrize(
    ("size", "sides"),
    [
        (1, [1, 1, 1]),
        (3, [3, 3, 3]),
        (5, [5, 5, 5]),
        (6, [6, 3, 3]),
        (9, [9, 5, 5]),
        (18, [18, 9, 5]),
        (36, [36, 18, 9]),
        (64, [64, 32, 16]),
    ],
)
def test_levels_halve_only_while_the_shorter_side_is_at_least_6(size: int, sides: list[int]) -> None:
    assert [lv.shape[-1] for lv in _levels(size)] == sides


def test_halving_is_ceil_and_per_shorter_side() -> None:
    halve = HalveIfLarge()
    assert halve(torch.zeros(1, 1, 7, 20)).shape[-2:] == (4, 10)
    assert halve(torch.zeros(1, 1, 5, 64)).shape[-2:] == (5, 64)  # shorter side 5 < 6: left alone
    with pytest.raises(ValueError, match="min_side must be >= 2"):
        HalveIfLarge(1)


@pytest.mark.parametrize("size", [3, 6, 9, 18, 36, 64])
def test_outputs_keep_the_level_shapes(size: int) -> None:
    pan = PathAggregation(8, 3, attn_layer=ConvolutionalBlockAttention).eval()
    levels = _levels(size)
    with torch.no_grad():
        out = pan(levels)
    assert [o.shape for o in out] == [lv.shape for lv in levels]


def test_top_down_and_bottom_up_paths_both_carry_information() -> None:
    """N_0 depends on the deepest level (top-down); N_2 depends on the shallowest (bottom-up)."""
    torch.manual_seed(0)
    pan = PathAggregation(8, 3)
    levels = _levels(18, requires_grad=True)
    out = pan(levels)
    assert torch.autograd.grad(out[0].sum(), levels[2], retain_graph=True)[0].abs().sum() > 0
    assert torch.autograd.grad(out[2].sum(), levels[0])[0].abs().sum() > 0


def test_attention_on_each_fused_map_or_none() -> None:
    with_attn = PathAggregation(8, 3, attn_layer=ConvolutionalBlockAttention)
    assert len(with_attn.attention) == 3
    assert all(isinstance(a, ConvolutionalBlockAttention) for a in with_attn.attention)
    plain = PathAggregation(8, 3)
    assert plain.attention is None
    assert not any(isinstance(m, ConvolutionalBlockAttention) for m in plain.modules())
    assert len(PathAggregation(8, 2).top_down) == len(PathAggregation(8, 2).bottom_up) == 1


def test_bad_levels() -> None:
    with pytest.raises(ValueError, match="at least 2 levels"):
        PathAggregation(8, 1)
    pan = PathAggregation(8, 3)
    with pytest.raises(ValueError, match="expected 3 feature levels, got 2"):
        pan(_levels(18, levels=2))
    wrong = [torch.randn(1, 8, 18, 18), torch.randn(1, 8, 18, 18), torch.randn(1, 8, 9, 9)]
    with pytest.raises(ValueError, match="build the levels with HalveIfLarge"):
        pan(wrong)
