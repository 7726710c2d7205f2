"""YOLOv10 detection head: decoupled box/class branches, DFL box distribution, and the dual
one-to-many (training) / one-to-one (NMS-free inference) assignment branches (seed 001 §2).

Outputs per level are raw maps (B, 4 * reg_max + C, H, W): 4 x reg_max logits over distance
bins (DFL) followed by C class logits. The one-to-one branch sees detached features, so its
gradients do not reach the backbone (as in YOLOv10). An optional ``DyHead`` (seed 001 §2.2)
runs on the pyramid first, after a 1x1 projection of every level to a common width.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from mineguard.heads.dyhead import DyHead
from mineguard.layers.conv import ConvBNAct, DWConv
from mineguard.ops.anchors import make_anchors
from mineguard.ops.boxes import distance_to_box


class DistributionFocalDecode(nn.Module):
    """Expected distance from reg_max bin logits: (B, 4 * reg_max, N) -> (B, 4, N) in grid units."""

    def __init__(self, reg_max: int = 16) -> None:
        super().__init__()
        self.reg_max = reg_max
        self.register_buffer("bins", torch.arange(reg_max, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, n = x.shape
        prob = x.view(b, 4, self.reg_max, n).softmax(2)
        return (prob * self.bins.view(1, 1, -1, 1)).sum(2)


def _box_branch(in_channels: int, hidden: int, reg_max: int) -> nn.Sequential:
    return nn.Sequential(
        ConvBNAct(in_channels, hidden, 3), ConvBNAct(hidden, hidden, 3), nn.Conv2d(hidden, 4 * reg_max, 1)
    )


def _cls_branch(in_channels: int, hidden: int, num_classes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Sequential(DWConv(in_channels, 3), ConvBNAct(in_channels, hidden, 1)),
        nn.Sequential(DWConv(hidden, 3), ConvBNAct(hidden, hidden, 1)),
        nn.Conv2d(hidden, num_classes, 1),
    )


class V10DetectHead(nn.Module):
    """Dual-branch anchor-free head over P3-P5 (strides 8, 16, 32)."""

    def __init__(
        self,
        in_channels: tuple[int, ...],
        *,
        num_classes: int,
        strides: tuple[int, ...] = (8, 16, 32),
        reg_max: int = 16,
        dyhead_depth: int = 0,
        max_det: int = 300,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.strides = strides
        self.reg_max = reg_max
        self.max_det = max_det
        self.num_outputs = 4 * reg_max + num_classes
        if dyhead_depth > 0:
            width = in_channels[0]
            self.project = nn.ModuleList(ConvBNAct(c, width, 1) for c in in_channels)
            self.dyhead: nn.Module | None = DyHead(width, depth=dyhead_depth)
            in_channels = (width,) * len(in_channels)
        else:
            self.project = nn.ModuleList(nn.Identity() for _ in in_channels)
            self.dyhead = None
        box_hidden = max(16, in_channels[0] // 4, reg_max * 4)
        cls_hidden = max(in_channels[0], min(num_classes, 100))
        self.box_o2m = nn.ModuleList(_box_branch(c, box_hidden, reg_max) for c in in_channels)
        self.cls_o2m = nn.ModuleList(_cls_branch(c, cls_hidden, num_classes) for c in in_channels)
        self.box_o2o = copy.deepcopy(self.box_o2m)
        self.cls_o2o = copy.deepcopy(self.cls_o2m)
        self.decode_dfl = DistributionFocalDecode(reg_max)
        self.reset_bias()

    def reset_bias(self, image_size: int = 640) -> None:
        """Prior biases: box logits 1.0; class logits so that p ≈ 5 objects per image / cells."""
        for box_branches, cls_branches in ((self.box_o2m, self.cls_o2m), (self.box_o2o, self.cls_o2o)):
            for box, cls, stride in zip(box_branches, cls_branches, self.strides, strict=True):
                nn.init.constant_(box[-1].bias, 1.0)
                prior = 5 / self.num_classes / (image_size / stride) ** 2
                nn.init.constant_(cls[-1].bias, math.log(prior))

    def _branch(self, feats: list[torch.Tensor], box: nn.ModuleList, cls: nn.ModuleList) -> list[torch.Tensor]:
        return [torch.cat((b(f), c(f)), 1) for f, b, c in zip(feats, box, cls, strict=True)]

    def forward(self, feats: list[torch.Tensor]) -> dict[str, list[torch.Tensor]] | torch.Tensor:
        """Training: {"one2many": maps, "one2one": maps}. Eval: (B, max_det, 6) rows of
        x1, y1, x2, y2 (input pixels), score, class id — top-k from the one-to-one branch, no NMS."""
        feats = [p(f) for p, f in zip(self.project, feats, strict=True)]
        if self.dyhead is not None:
            feats = self.dyhead(feats)
        one2one = self._branch([f.detach() for f in feats], self.box_o2o, self.cls_o2o)
        if self.training:
            return {"one2many": self._branch(feats, self.box_o2m, self.cls_o2m), "one2one": one2one}
        return self.postprocess(self.decode(one2one))

    def decode(self, maps: list[torch.Tensor]) -> torch.Tensor:
        """Raw maps -> (B, N, 4 + C): xyxy boxes in input pixels and class probabilities."""
        b = maps[0].shape[0]
        anchors, stride = make_anchors(
            [m.shape[-2:] for m in maps], self.strides, device=maps[0].device, dtype=maps[0].dtype
        )
        flat = torch.cat([m.view(b, self.num_outputs, -1) for m in maps], 2)
        dist, logits = flat.split((4 * self.reg_max, self.num_classes), 1)
        boxes = distance_to_box(self.decode_dfl(dist), anchors.T[None], dim=1) * stride.T[None]
        return torch.cat((boxes, logits.sigmoid()), 1).permute(0, 2, 1)

    def postprocess(self, preds: torch.Tensor) -> torch.Tensor:
        """(B, N, 4 + C) -> (B, K, 6), K = min(max_det, N): best (anchor, class) pairs by score."""
        boxes, scores = preds.split((4, self.num_classes), dim=-1)
        k = min(self.max_det, preds.shape[1])
        _, index = scores.amax(-1).topk(k, dim=-1)
        boxes = boxes.gather(1, index[..., None].expand(-1, -1, 4))
        scores = scores.gather(1, index[..., None].expand(-1, -1, self.num_classes))
        top_scores, flat = scores.flatten(1).topk(k, dim=-1)
        labels = flat % self.num_classes
        boxes = boxes.gather(1, (flat // self.num_classes)[..., None].expand(-1, -1, 4))
        return torch.cat((boxes, top_scores[..., None], labels[..., None].to(boxes.dtype)), -1)
