"""Box format conversions and the distance (ltrb) encoding of anchor-free heads."""

from __future__ import annotations

import torch


def xywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) centre-x, centre-y, width, height -> (..., 4) x1, y1, x2, y2."""
    xy, wh = boxes[..., :2], boxes[..., 2:4]
    return torch.cat((xy - wh / 2, xy + wh / 2), dim=-1)


def xyxy_to_xywh(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) x1, y1, x2, y2 -> (..., 4) centre-x, centre-y, width, height."""
    x1y1, x2y2 = boxes[..., :2], boxes[..., 2:4]
    return torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), dim=-1)


def distance_to_box(distances: torch.Tensor, anchor_points: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Decode (left, top, right, bottom) distances from anchor points into xyxy boxes.

    distances: (..., 4, ...) with the 4 along ``dim``; anchor_points: broadcastable (..., 2).
    """
    lt, rb = distances.chunk(2, dim)
    return torch.cat((anchor_points - lt, anchor_points + rb), dim)


def box_to_distance(anchor_points: torch.Tensor, boxes: torch.Tensor, max_distance: float) -> torch.Tensor:
    """Encode xyxy boxes as (l, t, r, b) distances from anchor points, clamped to
    [0, max_distance - 0.01] so the DFL target lies strictly inside the last bin."""
    x1y1, x2y2 = boxes.chunk(2, -1)
    return torch.cat((anchor_points - x1y1, x2y2 - anchor_points), -1).clamp_(0, max_distance - 0.01)


def clip_boxes(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Clip (..., 4) xyxy boxes to an image of ``height`` x ``width`` pixels (new tensor)."""
    out = boxes.clone()
    out[..., 0::2] = out[..., 0::2].clamp(0, width)
    out[..., 1::2] = out[..., 1::2].clamp(0, height)
    return out
