"""Dense block of DS convs (seed 004 §3.2.2): DenseNet connectivity, channel growth, size kept."""

from __future__ import annotations

import pytest
import torch

from mineguard.layers.conv import DepthwiseSeparableConv
from mineguard.layers.dense import DenseBlock


@pytest.mark.parametrize("size", [1, 3, 6, 9, 18, 36, 64])
def test_eight_layers_add_growth_each_and_keep_the_size(size: int) -> None:
    block = DenseBlock(8, num_layers=8, growth=4).eval()
    with torch.no_grad():
        y = block(torch.randn(2, 8, size, size))
    assert block.out_channels == 8 + 8 * 4 and y.shape == (2, 40, size, size)


def test_each_layer_takes_every_earlier_map() -> None:
    block = DenseBlock(6, num_layers=8, growth=3)
    assert all(isinstance(layer, DepthwiseSeparableConv) for layer in block.layers)
    assert [layer.depthwise.conv.in_channels for layer in block.layers] == [6 + 3 * i for i in range(8)]
    assert {layer.pointwise.conv.out_channels for layer in block.layers} == {3}


def test_input_passes_through_and_the_last_layer_sees_the_first() -> None:
    torch.manual_seed(0)
    block = DenseBlock(4, num_layers=3, growth=2).eval()
    x = torch.randn(1, 4, 5, 5, requires_grad=True)
    y = block(x)
    torch.testing.assert_close(y[:, :4], x)  # the block input is the first slice of the concatenation
    # the last layer's output depends on the input directly (not only through the layers before it)
    grads = torch.autograd.grad(y[:, -2:].sum(), x)[0]
    assert grads.abs().sum() > 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="num_layers >= 1 and growth >= 1"):
        DenseBlock(8, growth=0)
