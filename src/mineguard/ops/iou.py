"""Box-overlap measures and box-regression losses as pure functions.

All take boxes in (x1, y1, x2, y2) format, any float dtype.

- ``box_iou_pairwise(a, b)``: (N, 4) x (M, 4) -> (N, M) IoU matrix.
- ``iou_loss, giou_loss, diou_loss, ciou_loss, eiou_loss(boxes1, boxes2)``: element-wise over
  (..., 4) pairs, returning 1 - IoU plus the penalty of each method, with a ``reduction`` of
  ``"none" | "mean" | "sum"`` as in ``torchvision.ops``. GIoU, DIoU and CIoU follow the
  formulas and the eps placement of ``torchvision.ops`` so that they agree to 1e-6.

EIoU (Zhang et al. 2022; seed 001 Eq. 5-6, which replaces CIoU in CA-YOLOv10n):
    L_EIoU = 1 - IoU + ρ²(b, b_gt) / c² + ρ²(w, w_gt) / C_w² + ρ²(h, h_gt) / C_h²
where c is the diagonal and C_w, C_h the width and height of the smallest enclosing box.
"""

from __future__ import annotations

import math
from typing import Literal

import torch

Reduction = Literal["none", "mean", "sum"]


def box_iou_pairwise(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """IoU between every box of ``boxes1`` (N, 4) and ``boxes2`` (M, 4) -> (N, M)."""
    area1 = (boxes1[:, 2] - boxes1[:, 0]).clamp(0) * (boxes1[:, 3] - boxes1[:, 1]).clamp(0)
    area2 = (boxes2[:, 2] - boxes2[:, 0]).clamp(0) * (boxes2[:, 3] - boxes2[:, 1]).clamp(0)
    lt = torch.max(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area1[:, None] + area2[None, :] - inter + eps)


def _reduce(loss: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else loss.sum() * 0.0
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got '{reduction}'")


def _overlap_terms(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float) -> dict[str, torch.Tensor]:
    """IoU and enclosing-box geometry shared by every IoU-family loss."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xi1, yi1 = torch.max(x1, x1g), torch.max(y1, y1g)
    xi2, yi2 = torch.min(x2, x2g), torch.min(y2, y2g)
    inter = (xi2 - xi1).clamp(min=0) * (yi2 - yi1).clamp(min=0)
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    iou = inter / (union + eps)
    xc1, yc1 = torch.min(x1, x1g), torch.min(y1, y1g)
    xc2, yc2 = torch.max(x2, x2g), torch.max(y2, y2g)
    centre_dist_sq = ((x1 + x2 - x1g - x2g) / 2) ** 2 + ((y1 + y2 - y1g - y2g) / 2) ** 2
    return {
        "iou": iou,
        "union": union,
        "enclose_w": xc2 - xc1,
        "enclose_h": yc2 - yc1,
        "centre_dist_sq": centre_dist_sq,
        "w": x2 - x1,
        "h": y2 - y1,
        "w_gt": x2g - x1g,
        "h_gt": y2g - y1g,
    }


def iou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: Reduction = "none", eps: float = 1e-7
) -> torch.Tensor:
    """1 - IoU, element-wise over (..., 4) box pairs."""
    return _reduce(1 - _overlap_terms(boxes1, boxes2, eps)["iou"], reduction)


def giou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: Reduction = "none", eps: float = 1e-7
) -> torch.Tensor:
    """1 - GIoU = 1 - IoU + (|C| - |A ∪ B|) / |C| (Rezatofighi et al. 2019)."""
    t = _overlap_terms(boxes1, boxes2, eps)
    area_c = t["enclose_w"] * t["enclose_h"]
    giou = t["iou"] - (area_c - t["union"]) / (area_c + eps)
    return _reduce(1 - giou, reduction)


def _diou_terms(boxes1: torch.Tensor, boxes2: torch.Tensor, eps: float) -> tuple[torch.Tensor, dict]:
    t = _overlap_terms(boxes1, boxes2, eps)
    diag_sq = t["enclose_w"] ** 2 + t["enclose_h"] ** 2 + eps
    return 1 - t["iou"] + t["centre_dist_sq"] / diag_sq, t


def diou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: Reduction = "none", eps: float = 1e-7
) -> torch.Tensor:
    """1 - IoU + ρ²(b, b_gt) / c² (Zheng et al. 2020)."""
    return _reduce(_diou_terms(boxes1, boxes2, eps)[0], reduction)


def ciou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: Reduction = "none", eps: float = 1e-7
) -> torch.Tensor:
    """DIoU + α·v with v = 4/π² (atan(w_gt/h_gt) - atan(w/h))², α = v / (1 - IoU + v)."""
    loss, t = _diou_terms(boxes1, boxes2, eps)
    v = (4 / math.pi**2) * torch.pow(torch.atan(t["w_gt"] / (t["h_gt"] + eps)) - torch.atan(t["w"] / (t["h"] + eps)), 2)
    with torch.no_grad():
        alpha = v / (1 - t["iou"] + v + eps)
    return _reduce(loss + alpha * v, reduction)


def eiou_loss(
    boxes1: torch.Tensor, boxes2: torch.Tensor, reduction: Reduction = "none", eps: float = 1e-7
) -> torch.Tensor:
    """1 - IoU + ρ²(b, b_gt)/c² + (w - w_gt)²/C_w² + (h - h_gt)²/C_h² (seed 001 EIoU)."""
    loss, t = _diou_terms(boxes1, boxes2, eps)
    loss = loss + (t["w"] - t["w_gt"]) ** 2 / (t["enclose_w"] ** 2 + eps)
    loss = loss + (t["h"] - t["h_gt"]) ** 2 / (t["enclose_h"] ** 2 + eps)
    return _reduce(loss, reduction)


BOX_LOSSES = {
    "iou": iou_loss,
    "giou": giou_loss,
    "diou": diou_loss,
    "ciou": ciou_loss,
    "eiou": eiou_loss,
}


def get_box_loss(name: str):
    """Look up a box loss by name (``iou | giou | diou | ciou | eiou``)."""
    try:
        return BOX_LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown box loss '{name}' — choose one of: {', '.join(BOX_LOSSES)}") from None
