"""GlobalContextBlock (seed 000 Eqs. 2-5): the context is a softmax-weighted mean, the block adds
the transformed context to every position, and a fresh block is the identity."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mineguard.layers.attention import GlobalContextBlock


def _randomised(block: GlobalContextBlock, seed: int = 0) -> GlobalContextBlock:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return block


def test_a_fresh_block_is_the_identity() -> None:
    x = torch.randn(2, 16, 5, 7)
    torch.testing.assert_close(GlobalContextBlock(16)(x), x)


def test_uniform_keys_give_the_spatial_mean_as_context() -> None:
    block = GlobalContextBlock(8)
    nn.init.zeros_(block.key.weight)
    nn.init.zeros_(block.key.bias)
    x = torch.randn(3, 8, 4, 6)
    torch.testing.assert_close(block.context(x), x.mean((2, 3), keepdim=True))


def test_context_of_a_known_two_position_map() -> None:
    # C = 1, two positions with values 0 and ln 3; key weight 1: softmax weights 1/4, 3/4
    block = GlobalContextBlock(1)
    with torch.no_grad():
        block.key.weight.fill_(1.0)
        block.key.bias.zero_()
    x = torch.tensor([0.0, torch.log(torch.tensor(3.0))]).view(1, 1, 1, 2)
    expected = 0.25 * 0.0 + 0.75 * torch.log(torch.tensor(3.0))
    torch.testing.assert_close(block.context(x).flatten(), expected.view(1))


def test_block_equals_the_formula_written_out() -> None:
    block = _randomised(GlobalContextBlock(32, reduction=4)).eval()
    x = torch.randn(2, 32, 6, 5)
    b, c, h, w = x.shape
    attn = F.softmax(F.conv2d(x, block.key.weight, block.key.bias).view(b, h * w), dim=1)  # Eq. 4
    d = torch.einsum("bcn,bn->bc", x.view(b, c, h * w), attn).view(b, c, 1, 1)
    t = F.conv2d(d, block.squeeze.weight, block.squeeze.bias)  # q_c1
    t = F.layer_norm(t, t.shape[1:], block.norm.weight, block.norm.bias, block.norm.eps)  # MB
    t = F.conv2d(F.leaky_relu(t, 0.1), block.expand.weight, block.expand.bias)  # LR, q_c2
    torch.testing.assert_close(block(x), x + t)  # Eq. 5: broadcast over positions
    assert block.squeeze.out_channels == 8  # e·C with e = 1/4
