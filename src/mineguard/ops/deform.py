"""Modulated deformable convolution (DCNv2, Zhu et al. 2019) by bilinear sampling + matmul.

Same maths and offset layout as ``torchvision.ops.deform_conv2d`` (offsets (B, 2K, Ho, Wo) as
(dy, dx) per kernel tap in row-major order, mask (B, K, Ho, Wo), zero outside the image), but
built from ``grid_sample`` and one batched matrix product. On CPU its backward pass is several times
faster than torchvision's kernel (see ``benchmarks/bench_deform_conv.py``); on CUDA, and while
the model is traced for ONNX export, we call torchvision, whose one ``deform_conv2d`` op the
exporter writes as the ONNX ``DeformConv`` node (``mineguard.runtime.export``). A test checks both agree.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.ops import deform_conv2d


def _sampling_grid(
    offset: torch.Tensor, kernel: tuple[int, int], stride: int, padding: int, in_hw: tuple[int, int]
) -> torch.Tensor:
    """Normalised sampling grid (B, K·Ho, Wo, 2) for ``grid_sample(align_corners=False)``.

    Pixel-centre normalisation, (2p + 1) / size - 1, so that a 1-pixel-wide or -high map still
    maps p to p (with ``align_corners=True`` every p would land on pixel 0 there).
    """
    b, _, ho, wo = offset.shape
    kh, kw = kernel
    h, w = in_hw
    dtype, device = offset.dtype, offset.device
    ky, kx = torch.meshgrid(
        torch.arange(kh, device=device, dtype=dtype),
        torch.arange(kw, device=device, dtype=dtype),
        indexing="ij",
    )
    oy = torch.arange(ho, device=device, dtype=dtype) * stride - padding
    ox = torch.arange(wo, device=device, dtype=dtype) * stride - padding
    base_y = ky.reshape(-1, 1, 1) + oy.view(1, -1, 1)  # (K, Ho, 1)
    base_x = kx.reshape(-1, 1, 1) + ox.view(1, 1, -1)  # (K, 1, Wo)
    off = offset.reshape(b, kh * kw, 2, ho, wo)
    py = base_y + off[:, :, 0]
    px = base_x + off[:, :, 1]
    gx = (2 * px + 1) / w - 1
    gy = (2 * py + 1) / h - 1
    return torch.stack((gx, gy), -1).view(b, kh * kw * ho, wo, 2)


def modulated_deform_conv2d(
    x: torch.Tensor,
    offset: torch.Tensor,
    mask: torch.Tensor,
    weight: torch.Tensor,
    *,
    stride: int = 1,
    padding: int = 1,
) -> torch.Tensor:
    """x: (B, C, H, W); offset: (B, 2K, Ho, Wo); mask: (B, K, Ho, Wo); weight: (O, C, kh, kw).

    Returns (B, O, Ho, Wo). No bias, dilation 1, one offset group (as DyHead uses).
    """
    if x.is_cuda or torch.onnx.is_in_onnx_export():
        return deform_conv2d(x, offset, weight, stride=stride, padding=padding, mask=mask)
    b, c, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    ho, wo = offset.shape[-2:]
    grid = _sampling_grid(offset, (kh, kw), stride, padding, (h, w))
    sampled = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    sampled = sampled.reshape(b, c, kh * kw, ho, wo) * mask.reshape(b, 1, kh * kw, ho, wo)
    # bmm on the expanded weight, not ``weight @ sampled``: matmul folds the batch into one mm over the
    # transposed samples, and the copies to and from that layout cost as much as the product (about half
    # of this line's forward + backward time at DyHead's 40x40 level)
    weight = weight.reshape(1, out_channels, c * kh * kw).expand(b, -1, -1)
    out = torch.bmm(weight, sampled.reshape(b, c * kh * kw, ho * wo))
    return out.view(b, out_channels, ho, wo)
