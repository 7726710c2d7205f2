"""Anchor points (grid-cell centres) for anchor-free multi-scale heads."""

from __future__ import annotations

import torch


def make_anchors(
    feature_shapes: list[tuple[int, int]],
    strides: list[int] | torch.Tensor,
    *,
    offset: float = 0.5,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Grid-cell centres of every level, in units of that level's grid.

    Returns:
        anchor_points: (N, 2) x, y in grid cells (multiply by stride for pixels);
        stride_tensor: (N, 1) stride in pixels of each point; N = sum of H_i * W_i.
    """
    points, stride_list = [], []
    for (h, w), stride in zip(feature_shapes, strides, strict=True):
        sx = torch.arange(w, device=device, dtype=dtype) + offset
        sy = torch.arange(h, device=device, dtype=dtype) + offset
        grid_y, grid_x = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((grid_x, grid_y), -1).view(-1, 2))
        stride_list.append(torch.full((h * w, 1), float(stride), device=device, dtype=dtype))
    return torch.cat(points), torch.cat(stride_list)
