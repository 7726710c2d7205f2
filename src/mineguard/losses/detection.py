"""Detection losses of the YOLOv8/v10 family with a selectable IoU-type box loss.

Per branch (Jocher et al.; YOLOv10 dual assignment):
    L = w_box · Σ_fg s·(box loss) / S + w_cls · BCE(logits, soft targets) / S
        + w_dfl · Σ_fg s·DFL / S
where s is the task-aligned target score of a positive anchor and S = max(Σ s, 1). YOLOv10
sums the one-to-many (topk 10) and one-to-one (topk 1) branches. CA-YOLOv10n swaps the CIoU box
loss for EIoU (seed 001 Eq. 5-6); ``box_loss`` picks any of ``mineguard.ops.iou.BOX_LOSSES``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from mineguard.ops.anchors import make_anchors
from mineguard.ops.assign import TaskAlignedAssigner
from mineguard.ops.boxes import box_to_distance, distance_to_box
from mineguard.ops.iou import get_box_loss


def distribution_focal_loss(pred_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """DFL (Li et al. 2020): cross-entropy to the two bins around a continuous target.

    pred_logits: (n, reg_max); target: (n,) in [0, reg_max - 1). Returns (n,).
    """
    left = target.long()
    right = left + 1
    weight_left = right.to(target.dtype) - target
    weight_right = 1 - weight_left
    return (
        F.cross_entropy(pred_logits, left, reduction="none") * weight_left
        + F.cross_entropy(pred_logits, right, reduction="none") * weight_right
    )


@dataclass(frozen=True)
class LossWeights:
    """Gains of the loss terms (YOLOv8/v10 defaults)."""

    box: float = 7.5
    cls: float = 0.5
    dfl: float = 1.5


def targets_to_padded(targets: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(T, 6) rows [batch_idx, class, x1, y1, x2, y2] -> labels (B, M), boxes (B, M, 4), mask (B, M)."""
    device = targets.device
    if targets.numel() == 0:
        return (
            torch.zeros(batch_size, 0, device=device, dtype=torch.long),
            torch.zeros(batch_size, 0, 4, device=device),
            torch.zeros(batch_size, 0, device=device, dtype=torch.bool),
        )
    index = targets[:, 0].long()
    counts = torch.bincount(index, minlength=batch_size)
    m = int(counts.max())
    labels = torch.zeros(batch_size, m, device=device, dtype=torch.long)
    boxes = torch.zeros(batch_size, m, 4, device=device, dtype=targets.dtype)
    mask = torch.zeros(batch_size, m, device=device, dtype=torch.bool)
    order = torch.argsort(index, stable=True)
    sorted_index = index[order]
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(len(order), device=device) - starts[sorted_index]
    labels[sorted_index, slot] = targets[order, 1].long()
    boxes[sorted_index, slot] = targets[order, 2:6]
    mask[sorted_index, slot] = True
    return labels, boxes, mask


class BranchLoss:
    """Box + class + DFL loss of one head branch with its own task-aligned assigner."""

    def __init__(
        self,
        *,
        num_classes: int,
        strides: tuple[int, ...],
        reg_max: int = 16,
        topk: int = 10,
        box_loss: str = "ciou",
        weights: LossWeights | None = None,
    ) -> None:
        self.num_classes = num_classes
        self.strides = strides
        self.reg_max = reg_max
        self.box_loss = get_box_loss(box_loss)
        self.weights = weights or LossWeights()
        self.assigner = TaskAlignedAssigner(topk=topk, num_classes=num_classes)

    def __call__(self, maps: list[torch.Tensor], targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """maps: per level (B, 4·reg_max + C, H, W); targets: (T, 6) pixels. Returns weighted
        ``box``, ``cls``, ``dfl`` (each averaged per target score, not yet scaled by batch)."""
        b = maps[0].shape[0]
        flat = torch.cat([m.view(b, 4 * self.reg_max + self.num_classes, -1) for m in maps], 2)
        dist_logits, cls_logits = flat.permute(0, 2, 1).split((4 * self.reg_max, self.num_classes), -1)
        anchors, stride = make_anchors([m.shape[-2:] for m in maps], self.strides, device=flat.device, dtype=flat.dtype)
        bins = torch.arange(self.reg_max, device=flat.device, dtype=flat.dtype)
        n = anchors.shape[0]
        dist = (dist_logits.view(b, n, 4, self.reg_max).softmax(-1) * bins).sum(-1)
        pred_boxes = distance_to_box(dist, anchors[None])  # (B, N, 4) grid units

        labels, gt_boxes, gt_mask = targets_to_padded(targets.to(flat.dtype), b)
        assignment = self.assigner(
            cls_logits.detach().sigmoid(),
            (pred_boxes.detach() * stride).to(gt_boxes.dtype),
            anchors * stride,
            labels,
            gt_boxes,
            gt_mask,
        )
        target_scores = assignment.target_scores
        score_sum = target_scores.sum().clamp(min=1)
        loss_cls = F.binary_cross_entropy_with_logits(cls_logits, target_scores, reduction="sum") / score_sum

        fg = assignment.foreground
        if fg.any():
            weight = target_scores.sum(-1)[fg]  # (n_fg,)
            target_boxes = assignment.target_boxes / stride  # grid units
            loss_box = (self.box_loss(pred_boxes[fg], target_boxes[fg]) * weight).sum() / score_sum
            target_dist = box_to_distance(anchors[None].expand(b, -1, -1), target_boxes, self.reg_max - 1)
            dfl = (
                distribution_focal_loss(dist_logits[fg].view(-1, self.reg_max), target_dist[fg].view(-1))
                .view(-1, 4)
                .mean(-1)
            )
            loss_dfl = (dfl * weight).sum() / score_sum
        else:
            loss_box = loss_dfl = flat.sum() * 0.0
        w = self.weights
        return {"box": w.box * loss_box, "cls": w.cls * loss_cls, "dfl": w.dfl * loss_dfl}


class V10DetectionLoss:
    """Sum of the one-to-many (topk 10) and one-to-one (topk 1) branch losses (YOLOv10).

    Returns ``box_om, cls_om, dfl_om, box_oo, cls_oo, dfl_oo`` (the terms seed 001 Fig. 8 logs).
    """

    terms = ("box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo")

    def __init__(
        self,
        *,
        num_classes: int,
        strides: tuple[int, ...] = (8, 16, 32),
        reg_max: int = 16,
        box_loss: str = "ciou",
        weights: LossWeights | None = None,
    ) -> None:
        kw = {"num_classes": num_classes, "strides": strides, "reg_max": reg_max, "box_loss": box_loss}
        self.one2many = BranchLoss(topk=10, weights=weights, **kw)
        self.one2one = BranchLoss(topk=1, weights=weights, **kw)

    def __call__(self, outputs: dict[str, list[torch.Tensor]], targets: torch.Tensor) -> dict[str, torch.Tensor]:
        terms = {f"{k}_om": v for k, v in self.one2many(outputs["one2many"], targets).items()}
        terms |= {f"{k}_oo": v for k, v in self.one2one(outputs["one2one"], targets).items()}
        return terms
