"""DS-Inception block (seed 002 Eq. 13-18): shapes, gradients and the parameter-count formula."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mineguard.layers.inception import DSInception, ds_inception_params, split_channels


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _plain_inception_params(in_channels: int, branches: tuple[int, int, int, int]) -> int:
    """The same block with full 3x3 / 5x5 convolutions (with biases, seed 002 Eq. 4-5) in place of depthwise ones."""
    k1, k2, k3, k4 = branches
    convs = [
        nn.Conv2d(in_channels, k1, 1),
        nn.Conv2d(in_channels, k2, 1),
        nn.Conv2d(k2, k2, 3),
        nn.Conv2d(in_channels, k3, 1),
        nn.Conv2d(k3, k3, 5),
        nn.Conv2d(in_channels, k4, 1),
        nn.Conv2d(in_channels, sum(branches), 1),  # residual branch F5
    ]
    return sum(_params(c) for c in convs)


@pytest.mark.parametrize(("in_channels", "out_channels", "size"), [(3, 64, 16), (16, 32, 9), (8, 10, 5)])
def test_spatial_size_kept_and_channels_are_out_channels(in_channels: int, out_channels: int, size: int) -> None:
    block = DSInception(in_channels, out_channels)
    y = block(torch.randn(2, in_channels, size, size))
    assert y.shape == (2, out_channels, size, size)
    assert (y >= 0).all()  # a sum of two ReLU outputs


def test_gradients_flow_to_every_parameter() -> None:
    block = DSInception(4, 16)
    x = torch.randn(2, 4, 8, 8, requires_grad=True)
    block(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for name, p in block.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "branches", "bias"),
    [
        (3, 64, None, True),
        (64, 128, None, True),
        (32, 66, None, False),
        (8, 24, (4, 8, 8, 4), True),
        (8, 24, (2, 10, 6, 6), False),
    ],
)
def test_parameter_count_matches_the_formula(
    in_channels: int, out_channels: int, branches: tuple[int, int, int, int] | None, bias: bool
) -> None:
    block = DSInception(in_channels, out_channels, branch_channels=branches, bias=bias)
    expected = ds_inception_params(in_channels, block.branch_channels, out_channels, bias=bias)
    assert _params(block) == expected


def test_parameter_count_known_answer() -> None:
    """N=3, K=16 per branch, C=64 with biases: 2*(3+1)*64 + 9*16 + 25*16 = 512 + 144 + 400."""
    assert ds_inception_params(3, (16, 16, 16, 16), 64) == 1056
    # without biases, the four 1x1 + two depthwise convolutions are the paper's 4NK + 34K (§2.3),
    # plus N*C for the residual branch
    n, k = 64, 32
    assert ds_inception_params(n, (k, k, k, k), 4 * k, bias=False) == 4 * n * k + 34 * k + n * 4 * k


@pytest.mark.parametrize(("in_channels", "k"), [(3, 16), (64, 16), (256, 64)])
def test_smaller_than_the_plain_conv_inception_block(in_channels: int, k: int) -> None:
    """Depthwise kernels save (9 + 25)K² + 2K (weights, biases) - 34K (depthwise) = 34K² - 32K parameters."""
    ds = _params(DSInception(in_channels, 4 * k))
    plain = _plain_inception_params(in_channels, (k, k, k, k))
    assert ds < plain
    assert plain - ds == 34 * k * k - 32 * k


def test_split_channels() -> None:
    assert split_channels(64) == (16, 16, 16, 16)
    assert split_channels(66) == (17, 17, 16, 16)
    assert sum(split_channels(1023)) == 1023


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"in_channels": 8, "out_channels": 16, "branch_channels": (4, 4, 4, 5)}, "summing to out_channels=16"),
        ({"in_channels": 8, "out_channels": 16, "branch_channels": (8, 8, 0, 0)}, "4 positive widths"),
        ({"in_channels": 8, "out_channels": 3}, "out_channels >= 4"),
    ],
)
def test_bad_widths_say_what_is_wrong(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        DSInception(**kwargs)
