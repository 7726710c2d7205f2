"""YOLOv3 and seed 000's YOLOv3-GC: DarkNet-53, GcNet blocks, FPN plus a reverse fusion path.

The network at full size (width 1, depth 1), input S, K classes, A = 3 anchors per level:

backbone  DarkNet-53: conv 32 -> stages (64 x1, 128 x2, 256 x8 = C3, 512 x8 = C4, 1024 x4 = C5),
          each a stride-2 conv and residual units z + d(z) (seed 000 Eq. 1)
gc        (yolov3-gc) a GlobalContextBlock on C3, C4 and C5: "between the backbone network
          and the prediction module" (seed 000 §2, Eqs. 2-5)
neck      FPN top-down: conv set 512 on C5 (T5) -> 1x1 256, up, cat C4 -> conv set 256 (T4)
          -> 1x1 128, up, cat C3 -> conv set 128 (T3)
          (yolov3-gc) reverse bottom-up path, PANet-style: N3 = T3; N4 = fuse(down(N3), T4);
          N5 = fuse(down(N4), T5), each fuse a 1x1 / 3x3 / 1x1 set after a concatenation
head      AnchorHead: per level 3x3 conv to 2C, 1x1 to A·(5 + K), strides 8, 16, 32 (Fig. 2)
loss      (yolov3-gc) seed 000's Eq. 15: DIoU + sample-balanced confidence + class loss;
          (yolov3) plain YOLOv3's squared-error box offsets + cross-entropy confidence and class
          loss: the "pre-enhancement" column of the paper's Table 1 (``loss=`` chooses either)

Seed 000 gives neither the GC reduction ratio nor the exact layers of its reverse path (its
Fig. 2 is a picture); the choices above are GCNet's r = 16 and PANet's bottom-up fusion. At
416 px and 80 classes ``yolov3`` has YOLOv3's 61.9 M parameters. ``-s`` variants are the same
graphs at width 0.25 and depth 0.33 for CPU training.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mineguard.heads.yolo_anchor import AnchorHead
from mineguard.layers.attention import create_attention
from mineguard.layers.darknet import conv_set, dark_stage, darknet_conv
from mineguard.losses.yolov3 import ConfBalance, LossForm, YOLOv3Loss
from mineguard.models.scaling import scale_depth, scale_width
from mineguard.models.zoo import register_model
from mineguard.ops.anchors import YOLOV3_COCO_ANCHORS, cluster_anchors

STRIDES = (8, 16, 32)


class DarkNet53(nn.Module):
    """x: (B, 3, H, W) -> C3 (B, c3, H/8, W/8), C4 (B, c4, H/16, W/16), C5 (B, c5, H/32, W/32)."""

    def __init__(self, *, width: float = 1.0, depth: float = 1.0) -> None:
        super().__init__()
        c = [scale_width(x, width) for x in (32, 64, 128, 256, 512, 1024)]
        n = [scale_depth(x, depth) for x in (1, 2, 8, 8, 4)]
        self.stem = darknet_conv(3, c[0], 3)
        self.stage1 = dark_stage(c[0], c[1], n[0])
        self.stage2 = dark_stage(c[1], c[2], n[1])
        self.stage3 = dark_stage(c[2], c[3], n[2])
        self.stage4 = dark_stage(c[3], c[4], n[3])
        self.stage5 = dark_stage(c[4], c[5], n[4])
        self.channels = (c[3], c[4], c[5])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        c3 = self.stage3(self.stage2(self.stage1(self.stem(x))))
        c4 = self.stage4(c3)
        return [c3, c4, self.stage5(c4)]


class GlobalContext(nn.Module):
    """One GlobalContextBlock per pyramid level (seed 000 Eqs. 2-5); shapes kept."""

    def __init__(self, channels: Sequence[int], *, reduction: int = 16) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(create_attention("gc", c, reduction=reduction) for c in channels)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        return [block(f) for block, f in zip(self.blocks, feats, strict=True)]


def _fuse(in_channels: int, channels: int) -> nn.Sequential:
    return nn.Sequential(
        darknet_conv(in_channels, channels, 1),
        darknet_conv(channels, 2 * channels, 3),
        darknet_conv(2 * channels, channels, 1),
    )


class YOLOv3FPN(nn.Module):
    """Top-down FPN of YOLOv3, optionally followed by seed 000's reverse (bottom-up) fusion path.

    (C3, C4, C5) with channels (c3, c4, c5) -> three maps with (c3/2, c4/2, c5/2) channels, same strides.
    """

    def __init__(self, channels: tuple[int, int, int], *, bottom_up: bool = False) -> None:
        super().__init__()
        c3, c4, c5 = channels
        o3, o4, o5 = c3 // 2, c4 // 2, c5 // 2
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top5 = conv_set(c5, o5)
        self.lateral5 = darknet_conv(o5, o4, 1)
        self.top4 = conv_set(o4 + c4, o4)
        self.lateral4 = darknet_conv(o4, o3, 1)
        self.top3 = conv_set(o3 + c3, o3)
        self.bottom_up = bottom_up
        if bottom_up:
            self.down3 = darknet_conv(o3, o4, 3, 2)
            self.fuse4 = _fuse(2 * o4, o4)
            self.down4 = darknet_conv(o4, o5, 3, 2)
            self.fuse5 = _fuse(2 * o5, o5)
        self.channels = (o3, o4, o5)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        c3, c4, c5 = feats
        t5 = self.top5(c5)
        t4 = self.top4(torch.cat((self.up(self.lateral5(t5)), c4), 1))
        t3 = self.top3(torch.cat((self.up(self.lateral4(t4)), c3), 1))
        if not self.bottom_up:
            return [t3, t4, t5]
        n4 = self.fuse4(torch.cat((self.down3(t3), t4), 1))
        n5 = self.fuse5(torch.cat((self.down4(n4), t5), 1))
        return [t3, n4, n5]


class YOLOv3Detector(nn.Module):
    """``Detector(backbone, neck, head)`` with its loss (seed 000 Eq. 15).

    forward(images (B, 3, H, W) in [0, 1], targets (T, 6) [batch_idx, class, x1, y1, x2, y2]
    pixels): training mode returns the dict of weighted loss terms ``box``, ``conf``, ``cls``;
    eval mode returns (B, max_det, 6) rows [x1, y1, x2, y2, score, class] in input pixels (NMS-ed).
    """

    def __init__(
        self, backbone: nn.Module, neck: nn.Module, head: AnchorHead, criterion: YOLOv3Loss, config: dict
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.criterion = criterion
        self.config = config

    fitted_kwargs = ("anchors",)

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    @property
    def loss_terms(self) -> tuple[str, ...]:
        return self.criterion.terms

    def fit_to_data(self, box_wh: torch.Tensor, *, seed: int = 0) -> dict[str, object]:
        """Cluster the anchors on a training set's boxes (seed 000 Eqs. 6-7) and adopt them.

        box_wh: (N, 2) widths, heights in pixels of the network input. Returns the builder
        keyword arguments that rebuild this model (``{"anchors": [[[w, h], ...], ...]}``).
        """
        levels, per_level = self.head.anchors.shape[:2]
        anchors, _ = cluster_anchors(box_wh, levels * per_level, seed=seed)
        anchors = anchors.view(levels, per_level, 2)
        self.head.anchors.copy_(anchors)
        self.config["anchors"] = anchors.tolist()
        return {"anchors": self.config["anchors"]}

    def forward(
        self, images: torch.Tensor, targets: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor] | torch.Tensor:
        out = self.head(self.neck(self.backbone(images)))
        if self.training:
            if targets is None:
                raise ValueError("training mode needs targets (T, 6); call model.eval() to predict")
            return self.criterion(out, targets, self.head.anchors)
        return out


def build_yolov3(
    *,
    num_classes: int = 80,
    width: float = 1.0,
    depth: float = 1.0,
    global_context: bool = False,
    gc_reduction: int = 16,
    bottom_up: bool = False,
    anchors: Sequence[Sequence[Sequence[float]]] | None = None,
    ignore_iou: float = 0.5,
    max_det: int = 300,
    nms_iou: float = 0.45,
    loss: LossForm = "eq15",
    conf_balance: ConfBalance = "level",
) -> YOLOv3Detector:
    """Compose a YOLOv3-family detector; every variant below is this with other keyword arguments.

    anchors: (3 levels, A, 2) widths, heights in input pixels, small to large (default: YOLOv3's
    COCO anchors at 416 px; training clusters them on the data set, ``fit_to_data``).
    loss: ``"eq15"`` seed 000's DIoU + sample-balanced confidence + class loss, ``"yolov3"`` plain
    YOLOv3's (``mineguard.losses.yolov3``); conf_balance: Eq. 15's confidence means per level
    (``"level"``) or over all levels at once (``"all"``, see ``mineguard.losses.yolov3``).
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    anchor_tensor = torch.tensor(anchors if anchors is not None else YOLOV3_COCO_ANCHORS, dtype=torch.float32)
    if anchor_tensor.ndim != 3 or anchor_tensor.shape[0] != 3 or anchor_tensor.shape[2] != 2:
        raise ValueError(f"anchors must be 3 levels x A x (w, h), got shape {tuple(anchor_tensor.shape)}")
    config = {
        "num_classes": num_classes,
        "width": width,
        "depth": depth,
        "global_context": global_context,
        "gc_reduction": gc_reduction,
        "bottom_up": bottom_up,
        "anchors": anchor_tensor.tolist(),
        "ignore_iou": ignore_iou,
        "max_det": max_det,
        "nms_iou": nms_iou,
        "loss": loss,
        "conf_balance": conf_balance,
    }
    darknet = DarkNet53(width=width, depth=depth)
    backbone = (
        nn.Sequential(darknet, GlobalContext(darknet.channels, reduction=gc_reduction)) if global_context else darknet
    )
    neck = YOLOv3FPN(darknet.channels, bottom_up=bottom_up)
    head = AnchorHead(
        neck.channels, num_classes=num_classes, anchors=anchor_tensor, strides=STRIDES, max_det=max_det, nms_iou=nms_iou
    )
    criterion = YOLOv3Loss(
        num_classes=num_classes, strides=STRIDES, ignore_iou=ignore_iou, form=loss, conf_balance=conf_balance
    )
    return YOLOv3Detector(backbone, neck, head, criterion, config)


CPU_SCALE = {"width": 0.25, "depth": 0.33}


@register_model("yolov3", scale="full")
def yolov3(**kwargs: object) -> YOLOv3Detector:
    """YOLOv3 (DarkNet-53, FPN, three anchor scales, its own loss): the baseline of seed 000's ablation."""
    return build_yolov3(**{"loss": "yolov3", **kwargs})


@register_model("yolov3-gc", scale="full")
def yolov3_gc(**kwargs: object) -> YOLOv3Detector:
    """Seed 000's model: YOLOv3 + GcNet blocks + the reverse fusion path (Eq. 15 loss)."""
    return build_yolov3(global_context=True, bottom_up=True, **kwargs)


@register_model("yolov3-s")
def yolov3_s(**kwargs: object) -> YOLOv3Detector:
    """``yolov3`` at width 0.25, depth 0.33, small enough to train on a CPU."""
    return build_yolov3(**{**CPU_SCALE, "loss": "yolov3", **kwargs})


@register_model("yolov3-gc-s")
def yolov3_gc_s(**kwargs: object) -> YOLOv3Detector:
    """``yolov3-gc`` at width 0.25, depth 0.33, small enough to train on a CPU."""
    return build_yolov3(global_context=True, bottom_up=True, **{**CPU_SCALE, **kwargs})
