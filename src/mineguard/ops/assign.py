"""Task-aligned label assignment (TOOD, Feng et al. 2021), as used by YOLOv8/v10 heads.

For every ground-truth box and every anchor point inside it, the alignment metric is
    t = s^α · u^β
with s the predicted score of the GT's class and u the IoU of the predicted box with the GT.
Each GT takes its ``topk`` anchors by t; an anchor claimed by several GTs keeps the one it
overlaps most. The classification target of a positive anchor is the one-hot class scaled by
t normalised per GT to that GT's best IoU. YOLOv10 trains its one-to-many branch with
topk = 10 and its one-to-one branch with topk = 1 (consistent dual assignment).

``assign_to_anchors`` is the anchor-based rule of YOLOv3 (seed 000): one anchor per ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mineguard.ops.anchors import wh_iou
from mineguard.ops.iou import box_iou_pairwise


@dataclass(frozen=True)
class Assignment:
    """Targets for a batch of B images with N anchors and C classes.

    target_boxes: (B, N, 4) xyxy pixels; target_scores: (B, N, C) soft one-hot;
    foreground: (B, N) bool; target_gt_index: (B, N) index of the assigned GT.
    """

    target_boxes: torch.Tensor
    target_scores: torch.Tensor
    foreground: torch.Tensor
    target_gt_index: torch.Tensor


class TaskAlignedAssigner:
    """Assign ground truths to anchors by the task-aligned metric (see module docstring)."""

    def __init__(
        self, *, topk: int = 10, num_classes: int, alpha: float = 0.5, beta: float = 6.0, eps: float = 1e-9
    ) -> None:
        self.topk = topk
        self.num_classes = num_classes
        self.alpha = alpha
        self.beta = beta
        self.eps = eps

    @torch.no_grad()
    def __call__(
        self,
        pred_scores: torch.Tensor,
        pred_boxes: torch.Tensor,
        anchor_points: torch.Tensor,
        gt_labels: torch.Tensor,
        gt_boxes: torch.Tensor,
        gt_mask: torch.Tensor,
    ) -> Assignment:
        """
        Args:
            pred_scores: (B, N, C) probabilities (after sigmoid).
            pred_boxes: (B, N, 4) xyxy pixels.
            anchor_points: (N, 2) pixels.
            gt_labels: (B, M) int class ids (padded).
            gt_boxes: (B, M, 4) xyxy pixels (padded).
            gt_mask: (B, M) bool, True for real GTs.
        """
        b, n, c = pred_scores.shape
        m = gt_boxes.shape[1]
        device = pred_scores.device
        if m == 0:
            return Assignment(
                torch.zeros_like(pred_boxes),
                torch.zeros_like(pred_scores),
                torch.zeros(b, n, dtype=torch.bool, device=device),
                torch.zeros(b, n, dtype=torch.long, device=device),
            )
        inside = self._anchors_inside(anchor_points, gt_boxes) & gt_mask[..., None]  # (B, M, N)
        overlaps = torch.stack([box_iou_pairwise(g, p) for g, p in zip(gt_boxes, pred_boxes, strict=True)])
        overlaps = overlaps.clamp(0) * inside  # (B, M, N)
        labels = gt_labels.long().clamp(0, c - 1)
        class_scores = pred_scores.permute(0, 2, 1).gather(1, labels[..., None].expand(-1, -1, n))  # (B,M,N)
        align = class_scores.pow(self.alpha) * overlaps.pow(self.beta) * inside

        k = min(self.topk, n)
        # Rank anchors inside the GT first (by t), so a GT whose anchors all score t = 0 early
        # in training still gets its k anchors instead of arbitrary outside ones.
        top_idx = (align + inside.to(align.dtype)).topk(k, dim=-1).indices  # (B, M, k)
        candidate = torch.zeros_like(inside).scatter_(-1, top_idx, True)
        positive = candidate & inside

        # An anchor claimed by several GTs keeps the GT it overlaps most, among those claiming it
        # (a plain argmax over all GTs sends an anchor whose overlaps are all 0 to GT 0).
        multi = positive.sum(1) > 1  # (B, N)
        if multi.any():
            best = overlaps.masked_fill(~positive, -1).argmax(1)  # (B, N)
            best_onehot = torch.zeros_like(positive).scatter_(1, best[:, None, :], True)
            positive = torch.where(multi[:, None, :], best_onehot & positive.any(1, keepdim=True), positive)
        foreground = positive.any(1)  # (B, N)
        gt_index = positive.float().argmax(1)  # (B, N)

        batch_offset = torch.arange(b, device=device)[:, None] * m
        flat_index = gt_index + batch_offset
        target_boxes = gt_boxes.reshape(-1, 4)[flat_index]  # (B, N, 4)
        target_labels = labels.reshape(-1)[flat_index]  # (B, N)
        target_scores = torch.nn.functional.one_hot(target_labels, c).to(pred_scores.dtype)
        target_scores = target_scores * foreground[..., None]

        align = align * positive
        best_align = align.amax(-1, keepdim=True)  # (B, M, 1)
        best_overlap = (overlaps * positive).amax(-1, keepdim=True)
        norm = (align * best_overlap / (best_align + self.eps)).amax(1)  # (B, N)
        target_scores = target_scores * norm[..., None]
        return Assignment(target_boxes, target_scores, foreground, gt_index)

    def _anchors_inside(self, anchor_points: torch.Tensor, gt_boxes: torch.Tensor) -> torch.Tensor:
        """(B, M, N) True where the anchor centre lies strictly inside the GT box."""
        lt = anchor_points[None, None] - gt_boxes[..., None, :2]
        rb = gt_boxes[..., None, 2:] - anchor_points[None, None]
        return torch.cat((lt, rb), -1).amin(-1) > self.eps


@dataclass(frozen=True)
class LevelTargets:
    """Positives of one level of an anchor-based head, P rows each.

    batch, anchor, gy, gx: (P,) long indices into the level's (B, A, H, W) grid;
    boxes: (P, 4) xyxy pixels of the assigned ground truth; labels: (P,) class ids.
    """

    batch: torch.Tensor
    anchor: torch.Tensor
    gy: torch.Tensor
    gx: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor


def assign_to_anchors(
    targets: torch.Tensor,
    anchors: torch.Tensor,
    strides: tuple[int, ...],
    shapes: list[tuple[int, int]],
) -> list[LevelTargets]:
    """YOLOv3 assignment: each ground truth to the one anchor of all levels whose shape it
    overlaps most (IoU of sizes, ``wh_iou``), in the grid cell holding its centre.

    targets: (T, 6) [batch_idx, class, x1, y1, x2, y2] pixels; anchors: (L, A, 2) pixels;
    shapes: (H, W) of each level's grid. Two ground truths on one (cell, anchor) both stay.
    """
    per_level = anchors.shape[1]
    best = torch.zeros(0, dtype=torch.long, device=targets.device)
    if len(targets):
        wh = (targets[:, 4:6] - targets[:, 2:4]).clamp(min=1e-6)
        best = wh_iou(wh, anchors.reshape(-1, 2).to(wh)).argmax(1)  # (T,) index over L·A
    out = []
    for level, ((h, w), stride) in enumerate(zip(shapes, strides, strict=True)):
        mine = best // per_level == level
        t = targets[mine]
        centre = (t[:, 2:4] + t[:, 4:6]) / 2 / stride
        gx = centre[:, 0].long().clamp(0, w - 1)
        gy = centre[:, 1].long().clamp(0, h - 1)
        out.append(LevelTargets(t[:, 0].long(), best[mine] % per_level, gy, gx, t[:, 2:6], t[:, 1].long()))
    return out
