"""Seed 000's YOLOv3 loss: DIoU box loss + sample-balanced confidence loss + class loss (Eq. 15).

    LOSS_YOLO = L_DIoU + L_KD + L_CL                                      (seed 000 Eq. 15)

Box (Eqs. 10-13): L_DIoU = 1 - IoU + ρ²(b, b_gt) / c², ρ the distance of the box centres and c
the diagonal of the smallest box enclosing both (``mineguard.ops.iou.diou_loss``), averaged over
the positive (ground truth, anchor) pairs.

Confidence, sample-balanced (Eqs. 8-11 as we read them; the text is all that survives of the
equations). With o the confidence logit, δ the sigmoid, t ∈ {0, 1} the label, ζ a small constant:
    λ = (1 + |t - δ(o)|) / 2, so 2λ - 1 = |t - δ(o)|
which is 0 for an easy sample (δ(o) -> t) and 1 for a wrong one, as the paper describes; the
difficulty-weighted cross-entropy of one sample is
    ℓ = (2λ - 1) · -[t·log(δ(o) + ζ) + (1 - t)·log(1 - δ(o) + ζ)]
and the imbalance in number is removed by averaging positives (U^OB = 1) and negatives
(U^NO = 1) separately: L_KD = mean_OB ℓ + mean_NO ℓ. Negatives whose prediction already
overlaps a ground truth by IoU > ``ignore_iou`` are neither (YOLOv3).

Which samples one mean runs over, the paper does not say. Over all three levels at once
(``conf_balance="all"``) the 10 x 10 cells of the coarsest level are 5 % of the negatives at 320 px:
on the merged hazard set that level drifted to "object everywhere" (74 % of its cells above 0.5
after 4 epochs, every image's top score 1.0) while the loss stayed low, and validation mAP50 fell
from 0.044 after epoch 1 to 0.001. The default, ``conf_balance="level"``, takes the two means per
level and averages the levels, so that every scale's negatives weigh the same.

Class (Eq. 19): binary cross-entropy of the K class logits against the one-hot label, summed
over classes, averaged over positives.

``form="yolov3"`` is the loss of plain YOLOv3 (Redmon & Farhadi 2018, as darknet computes it), the
"pre-enhancement" column of seed 000's Table 1: squared error of the box offsets
(σ(t_x), σ(t_y), t_w, t_h) against their targets (the centre within its cell, log(g_w / p_w),
log(g_h / p_h)), each weighted by 2 - g_w·g_h / (W·H) so that small boxes count more; plain binary
cross-entropy for the confidence of every positive and (not ignored) negative; the class loss above.
Each term is summed over an image's cells and averaged over the batch, as darknet does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from mineguard.losses.detection import targets_to_padded
from mineguard.ops.anchors import decode_anchor_boxes
from mineguard.ops.assign import LevelTargets, assign_to_anchors
from mineguard.ops.iou import box_iou_pairwise, diou_loss


def _mean(x: torch.Tensor) -> torch.Tensor:
    return x.mean() if x.numel() else x.sum() * 0.0


def balanced_confidence_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    *,
    valid: torch.Tensor | None = None,
    reduction: Literal["balanced", "none"] = "balanced",
    eps: float = 1e-7,
) -> torch.Tensor:
    """Sample-balanced confidence loss L_KD (seed 000 Eqs. 8-11, see the module docstring).

    logits: (...) confidence logits o; targets: (...) labels t in {0, 1}; valid: (...) bool,
    False for samples that count as neither positive nor negative (ignored).
    ``reduction="none"``: (...) per-sample ℓ; ``"balanced"``: scalar mean_OB ℓ + mean_NO ℓ
    (a set with no samples adds 0).
    """
    p = logits.sigmoid()
    weight = (targets - p).abs()  # 2λ - 1
    ce = -(targets * torch.log(p + eps) + (1 - targets) * torch.log(1 - p + eps))
    loss = weight * ce
    if reduction == "none":
        return loss
    if reduction != "balanced":
        raise ValueError(f"reduction must be 'balanced' or 'none', got '{reduction}'")
    valid = torch.ones_like(targets, dtype=torch.bool) if valid is None else valid
    positive = valid & (targets > 0.5)
    negative = valid & ~positive
    return _mean(loss[positive]) + _mean(loss[negative])


@dataclass(frozen=True)
class YOLOv3LossWeights:
    """Gains of the three terms; Eq. 15 is their plain sum."""

    box: float = 1.0
    conf: float = 1.0
    cls: float = 1.0


@dataclass(frozen=True)
class _Level:
    """One level of the maps with what both loss forms need of it (``index`` None: no positive)."""

    map: torch.Tensor  # (B, A, H, W, 5 + K) raw
    anchors: torch.Tensor  # (A, 2) pixels
    stride: int
    pos: LevelTargets
    boxes: torch.Tensor  # (B, A, H, W, 4) decoded xyxy pixels
    index: tuple[torch.Tensor, ...] | None  # (batch, anchor, gy, gx) of the positives
    obj_target: torch.Tensor  # (B, A, H, W) 1 at the positives
    valid: torch.Tensor  # (B, A, H, W) bool: positives and the negatives not ignored


LossForm = Literal["eq15", "yolov3"]
LOSS_FORMS: tuple[str, ...] = ("eq15", "yolov3")
ConfBalance = Literal["level", "all"]
CONF_BALANCES: tuple[str, ...] = ("level", "all")


class YOLOv3Loss:
    """Eq. 15 (or plain YOLOv3's loss, ``form="yolov3"``) over the maps of an ``AnchorHead``:
    returns weighted ``box``, ``conf``, ``cls``."""

    terms = ("box", "conf", "cls")

    def __init__(
        self,
        *,
        num_classes: int,
        strides: tuple[int, ...] = (8, 16, 32),
        ignore_iou: float = 0.5,
        weights: YOLOv3LossWeights | None = None,
        form: LossForm = "eq15",
        conf_balance: ConfBalance = "level",
    ) -> None:
        if form not in LOSS_FORMS:
            raise ValueError(f"loss form must be one of {', '.join(LOSS_FORMS)}, got '{form}'")
        if conf_balance not in CONF_BALANCES:
            raise ValueError(f"conf_balance must be 'level' or 'all', got '{conf_balance}'")
        self.conf_balance = conf_balance
        self.num_classes = num_classes
        self.strides = strides
        self.ignore_iou = ignore_iou
        self.weights = weights or YOLOv3LossWeights()
        self.form = form

    def __call__(
        self, maps: list[torch.Tensor], targets: torch.Tensor, anchors: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """maps: per level (B, A, H, W, 5 + K) raw; targets: (T, 6) [batch_idx, class, x1, y1,
        x2, y2] pixels; anchors: (L, A, 2) pixels."""
        if self.form == "yolov3":
            return self._plain(maps, targets, anchors)
        box_terms, cls_terms, conf_logits, conf_targets, conf_valid = [], [], [], [], []
        for level in self._levels(maps, targets, anchors):
            m, pos, index, obj_target, valid = level.map, level.pos, level.index, level.obj_target, level.valid
            if index is not None:
                box_terms.append(diou_loss(level.boxes[index], pos.boxes))
                onehot = F.one_hot(pos.labels, self.num_classes).to(m.dtype)
                cls_terms.append(F.binary_cross_entropy_with_logits(m[index][:, 5:], onehot, reduction="none").sum(1))
            conf_logits.append(m[..., 4].flatten())
            conf_targets.append(obj_target.flatten())
            conf_valid.append(valid.flatten())
        zero = maps[0].sum() * 0.0
        loss_box = torch.cat(box_terms).mean() if box_terms else zero
        loss_cls = torch.cat(cls_terms).mean() if cls_terms else zero
        if self.conf_balance == "all":
            loss_conf = balanced_confidence_loss(
                torch.cat(conf_logits), torch.cat(conf_targets), valid=torch.cat(conf_valid)
            )
        else:
            per_level = zip(conf_logits, conf_targets, conf_valid, strict=True)
            loss_conf = torch.stack([balanced_confidence_loss(o, t, valid=v) for o, t, v in per_level]).mean()
        w = self.weights
        return {"box": w.box * loss_box, "conf": w.conf * loss_conf, "cls": w.cls * loss_cls}

    def _plain(self, maps: list[torch.Tensor], targets: torch.Tensor, anchors: torch.Tensor) -> dict[str, torch.Tensor]:
        """Plain YOLOv3's loss (see the module docstring), each term summed per image, averaged over the batch."""
        b = maps[0].shape[0]
        area = float(maps[0].shape[2] * self.strides[0] * maps[0].shape[3] * self.strides[0])
        zero = maps[0].sum() * 0.0
        loss_box, loss_conf, loss_cls = zero, zero, zero
        for level in self._levels(maps, targets, anchors):
            m, pos, index, stride, anchors_l = level.map, level.pos, level.index, level.stride, level.anchors
            if index is not None:
                raw = m[index]
                wh = (pos.boxes[:, 2:4] - pos.boxes[:, 0:2]).clamp(min=1e-6)
                centre = (pos.boxes[:, 0:2] + pos.boxes[:, 2:4]) / 2 / stride
                cell = torch.stack((pos.gx, pos.gy), 1).to(m.dtype)
                target_xy = centre - cell
                target_wh = torch.log(wh / anchors_l[pos.anchor].to(m.dtype))
                scale = 2.0 - wh[:, 0] * wh[:, 1] / area
                squared = (raw[:, 0:2].sigmoid() - target_xy).pow(2).sum(1) + (raw[:, 2:4] - target_wh).pow(2).sum(1)
                loss_box = loss_box + (scale * squared).sum()
                onehot = F.one_hot(pos.labels, self.num_classes).to(m.dtype)
                loss_cls = loss_cls + F.binary_cross_entropy_with_logits(raw[:, 5:], onehot, reduction="sum")
            ce = F.binary_cross_entropy_with_logits(m[..., 4], level.obj_target, reduction="none")
            loss_conf = loss_conf + ce[level.valid].sum()
        w = self.weights
        return {"box": w.box * loss_box / b, "conf": w.conf * loss_conf / b, "cls": w.cls * loss_cls / b}

    def _levels(self, maps: list[torch.Tensor], targets: torch.Tensor, anchors: torch.Tensor) -> Iterator[_Level]:
        """Each level's map with its positives (YOLOv3's one-anchor assignment), decoded boxes, confidence
        targets and the mask of samples that count (positives and the negatives not ignored)."""
        targets = targets.to(maps[0].dtype)
        levels = assign_to_anchors(targets, anchors, self.strides, [tuple(m.shape[2:4]) for m in maps])
        _, gt_boxes, gt_mask = targets_to_padded(targets, maps[0].shape[0])
        for m, anchors_l, stride, pos in zip(maps, anchors, self.strides, levels, strict=True):
            boxes = decode_anchor_boxes(m[..., :4], anchors_l, stride)  # (B, A, H, W, 4)
            obj_target = torch.zeros(m.shape[:4], device=m.device, dtype=m.dtype)
            valid = ~self._ignored(boxes.detach(), gt_boxes, gt_mask)
            index = None
            if len(pos.batch):
                index = (pos.batch, pos.anchor, pos.gy, pos.gx)
                obj_target[index] = 1.0
                valid[index] = True
            yield _Level(m, anchors_l, stride, pos, boxes, index, obj_target, valid)

    def _ignored(self, boxes: torch.Tensor, gt_boxes: torch.Tensor, gt_mask: torch.Tensor) -> torch.Tensor:
        """(B, A, H, W) True where a predicted box overlaps a ground truth of its image by > ignore_iou."""
        ignored = torch.zeros(boxes.shape[:4], dtype=torch.bool, device=boxes.device)
        for i in range(boxes.shape[0]):
            gts = gt_boxes[i][gt_mask[i]]
            if len(gts):
                best = box_iou_pairwise(boxes[i].reshape(-1, 4), gts).amax(1)
                ignored[i] = (best > self.ignore_iou).view(boxes.shape[1:4])
        return ignored
