"""YOLOv3's anchor-based three-scale head (seed 000 §2, Fig. 2; Redmon & Farhadi 2018).

Each level (strides 8, 16, 32 for P3-P5) has a 3x3 DarkNet conv to 2C channels and a 1x1
prediction conv to A·(5 + K) maps: per anchor t_x, t_y, t_w, t_h, the objectness (confidence)
logit and K class logits. The anchors (L, A, 2) in input pixels are a buffer, so they travel
with the weights; they come from mean-IoU clustering of the training set's boxes
(``mineguard.ops.anchors.cluster_anchors``) and are also in the model's config.

Training returns the raw maps, each (B, A, H, W, 5 + K); eval decodes them
(``decode_anchor_boxes``), scores = σ(objectness)·σ(class), and returns class-wise NMS-ed rows
(B, max_det, 6) [x1, y1, x2, y2, score, class] in input pixels (``mineguard.ops.nms``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mineguard.layers.darknet import darknet_conv
from mineguard.ops.anchors import decode_anchor_boxes
from mineguard.ops.nms import nms_padded


class AnchorHead(nn.Module):
    """Three-scale anchor-based prediction module over ``in_channels`` levels."""

    def __init__(
        self,
        in_channels: tuple[int, ...],
        *,
        num_classes: int,
        anchors: torch.Tensor,
        strides: tuple[int, ...] = (8, 16, 32),
        max_det: int = 300,
        nms_iou: float = 0.45,
    ) -> None:
        super().__init__()
        if anchors.ndim != 3 or anchors.shape[0] != len(in_channels) or anchors.shape[2] != 2:
            raise ValueError(f"anchors must be (levels={len(in_channels)}, A, 2), got {tuple(anchors.shape)}")
        self.num_classes = num_classes
        self.strides = strides
        self.max_det = max_det
        self.nms_iou = nms_iou
        self.num_anchors = anchors.shape[1]
        self.num_outputs = 5 + num_classes
        self.register_buffer("anchors", anchors.detach().float().clone())
        self.preds = nn.ModuleList(
            nn.Sequential(darknet_conv(c, 2 * c, 3), nn.Conv2d(2 * c, self.num_anchors * self.num_outputs, 1))
            for c in in_channels
        )
        self.reset_bias()

    def reset_bias(self, image_size: int = 416) -> None:
        """Prior biases: box terms 0; objectness so that p ≈ 8 objects per image over the level's
        cells and anchors; classes p ≈ 1 / K (as YOLOv5 initialises its anchor-based head)."""
        for pred, stride in zip(self.preds, self.strides, strict=True):
            bias = pred[-1].bias.view(self.num_anchors, self.num_outputs)
            with torch.no_grad():
                bias.zero_()
                bias[:, 4] = math.log(8 / (image_size / stride) ** 2)
                bias[:, 5:] = math.log(0.6 / (self.num_classes - 0.99))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor] | torch.Tensor:
        maps = []
        for pred, f in zip(self.preds, feats, strict=True):
            x = pred(f)
            b, _, h, w = x.shape
            maps.append(x.view(b, self.num_anchors, self.num_outputs, h, w).permute(0, 1, 3, 4, 2))
        if self.training:
            return maps
        return self.postprocess(self.decode(maps))

    def decode(self, maps: list[torch.Tensor]) -> torch.Tensor:
        """Raw maps -> (B, N, 4 + K): xyxy boxes in input pixels and σ(obj)·σ(class) scores."""
        rows = []
        for level, m in enumerate(maps):
            boxes = decode_anchor_boxes(m[..., :4], self.anchors[level], self.strides[level])
            scores = m[..., 4:5].sigmoid() * m[..., 5:].sigmoid()
            rows.append(torch.cat((boxes, scores), -1).flatten(1, 3))
        return torch.cat(rows, 1)

    def postprocess(self, preds: torch.Tensor) -> torch.Tensor:
        """(B, N, 4 + K) -> (B, max_det, 6), class-wise NMS at IoU ``nms_iou``."""
        boxes, scores = preds.split((4, self.num_classes), dim=-1)
        return nms_padded(boxes, scores, iou=self.nms_iou, max_det=self.max_det)
