"""modulated_deform_conv2d (grid_sample DCNv2) must equal torchvision.ops.deform_conv2d."""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import deform_conv2d

from mineguard.ops.deform import modulated_deform_conv2d


def _inputs(
    batch: int, channels: int, out_channels: int, in_hw: tuple[int, int], stride: int, offset_scale: float
) -> tuple[torch.Tensor, ...]:
    """Random float64 (x, offset, mask, weight) with gradients, for a 3x3 kernel, padding 1."""
    generator = torch.Generator().manual_seed(0)
    h, w = in_hw
    ho, wo = (h + 2 - 3) // stride + 1, (w + 2 - 3) // stride + 1
    x = torch.randn(batch, channels, h, w, dtype=torch.float64, generator=generator)
    offset = torch.randn(batch, 18, ho, wo, dtype=torch.float64, generator=generator) * offset_scale
    mask = torch.rand(batch, 9, ho, wo, dtype=torch.float64, generator=generator)
    weight = torch.randn(out_channels, channels, 3, 3, dtype=torch.float64, generator=generator)
    return tuple(t.requires_grad_() for t in (x, offset, mask, weight))


@pytest.mark.parametrize(
    ("in_hw", "stride", "offset_scale"),
    [
        ((9, 9), 1, 0.8),  # small offsets, square
        ((9, 9), 2, 0.8),  # stride 2 (DyHead's finer-level conv)
        ((8, 8), 1, 6.0),  # large offsets: many taps sample outside the image (zero there)
        ((8, 8), 2, 6.0),
        ((7, 12), 1, 2.0),  # non-square input
        ((7, 12), 2, 2.0),
        ((1, 6), 1, 1.0),  # one-pixel-high map (P5 of a 32 px input)
        ((5, 1), 1, 1.0),  # one-pixel-wide map
        ((1, 1), 1, 1.0),
    ],
)
def test_matches_torchvision_forward_and_backward(in_hw: tuple[int, int], stride: int, offset_scale: float) -> None:
    x, offset, mask, weight = _inputs(2, 3, 4, in_hw, stride, offset_scale)
    ours = modulated_deform_conv2d(x, offset, mask, weight, stride=stride, padding=1)
    ref = deform_conv2d(x, offset, weight, stride=stride, padding=1, mask=mask)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-8)

    upstream = torch.randn(ref.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    grads_ours = torch.autograd.grad(ours, (x, offset, mask, weight), upstream)
    grads_ref = torch.autograd.grad(ref, (x, offset, mask, weight), upstream)
    for name, g_ours, g_ref in zip(("input", "offset", "mask", "weight"), grads_ours, grads_ref, strict=True):
        torch.testing.assert_close(g_ours, g_ref, rtol=0, atol=1e-8, msg=lambda m, n=name: f"grad {n}: {m}")


def test_zero_offset_full_mask_is_a_plain_convolution() -> None:
    x, offset, mask, weight = _inputs(1, 2, 3, (6, 5), 1, 0.0)
    with torch.no_grad():
        mask.fill_(1.0)
        out = modulated_deform_conv2d(x, offset, mask, weight, padding=1)
    torch.testing.assert_close(out, torch.nn.functional.conv2d(x.detach(), weight.detach(), padding=1))


def test_zero_mask_gives_zero_output() -> None:
    x, offset, mask, weight = _inputs(1, 2, 3, (6, 6), 2, 1.0)
    with torch.no_grad():
        out = modulated_deform_conv2d(x, offset, torch.zeros_like(mask), weight, stride=2, padding=1)
    assert out.shape == (1, 3, 3, 3)
    assert torch.count_nonzero(out) == 0


def test_channels_last_tensors_give_the_same_result() -> None:
    """A model moved to channels-last memory format hands over channels-last input and weight."""
    x, offset, mask, weight = (t.detach() for t in _inputs(2, 4, 3, (7, 9), 1, 1.5))
    ref = modulated_deform_conv2d(x, offset, mask, weight)
    cl = torch.channels_last
    got = modulated_deform_conv2d(
        x.to(memory_format=cl), offset.to(memory_format=cl), mask.to(memory_format=cl), weight.to(memory_format=cl)
    )
    torch.testing.assert_close(got, ref, rtol=0, atol=1e-10)
