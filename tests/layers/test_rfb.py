"""RFB-s (Liu et al. 2018; seed 004 §3.2.4): branch structure, shortcut, shapes from 1 to 64 px."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mineguard.layers.rfb import ReceptiveFieldBlockSmall


def _dilated(block: ReceptiveFieldBlockSmall) -> list[nn.Conv2d]:
    return [branch[-1].conv for branch in block.branches]


def test_four_branches_with_rfbnet_rates_and_asymmetric_kernels() -> None:
    block = ReceptiveFieldBlockSmall(64, 32)
    assert len(block.branches) == 4
    assert [c.dilation for c in _dilated(block)] == [(1, 1), (3, 3), (3, 3), (5, 5)]
    assert [c.padding for c in _dilated(block)] == [(1, 1), (3, 3), (3, 3), (5, 5)]
    kernels = [m.kernel_size for m in block.modules() if isinstance(m, nn.Conv2d)]
    assert kernels.count((3, 1)) == 2 and kernels.count((1, 3)) == 2
    assert block.fuse.conv.in_channels == 4 * 16 and block.fuse.conv.out_channels == 32
    assert [c.dilation for c in _dilated(ReceptiveFieldBlockSmall(64, 32, dilations=(1, 3, 5, 7)))][-1] == (7, 7)


@pytest.mark.parametrize("size", [1, 3, 5, 9, 18, 36, 64])
def test_shape_kept_at_slice_sizes(size: int) -> None:
    block = ReceptiveFieldBlockSmall(32, 24).eval()
    with torch.no_grad():
        y = block(torch.randn(2, 32, size, size))
    assert y.shape == (2, 24, size, size) and (y >= 0).all()  # ends in a ReLU


def test_scale_zero_leaves_relu_of_the_shortcut() -> None:
    torch.manual_seed(0)
    block = ReceptiveFieldBlockSmall(16, 16, scale=0.0).eval()
    x = torch.randn(2, 16, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(block(x), torch.relu(block.shortcut(x)))


def test_gradients_reach_every_branch() -> None:
    torch.manual_seed(0)
    block = ReceptiveFieldBlockSmall(16, 16)
    block(torch.randn(2, 16, 9, 9)).square().mean().backward()
    for name, p in block.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_needs_four_dilations() -> None:
    with pytest.raises(ValueError, match="four dilations"):
        ReceptiveFieldBlockSmall(16, 16, dilations=(1, 3, 5))
