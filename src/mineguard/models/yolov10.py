"""YOLOv10-N and the CA-YOLOv10n variants of seed 001 (Coordinate Attention, DyHead, EIoU).

The network at the official n scale (width 0.25, depth 0.33, max 1024 channels):

backbone  CBS 16/2 -> CBS 32/2 -> C2f 32 -> CBS 64/2 -> C2f 64 (P3) -> SCDown 128 -> C2f 128 (P4)
          -> SCDown 256 -> C2f 256 -> SPPF 256 -> PSA 256 (P5)
neck      PAN: up + cat P4 -> C2f 128 -> up + cat P3 -> C2f 64 (out P3)
          -> CBS/2 + cat -> C2f 128 (out P4) -> SCDown + cat -> C2fCIB 256 (out P5, large kernel)
head      V10DetectHead (one-to-many + one-to-one, DFL reg_max 16), optional DyHead

Attention (seed 001 Table 2 placements): ``before_psa`` and ``after_psa`` in the backbone;
``after_c2fcib`` after the C2fCIB block — at the n scale the only C2fCIB is the neck's P5
block (the larger scales also use one in the backbone), so that is where it goes.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from mineguard.heads.v10_detect import V10DetectHead
from mineguard.layers.attention import create_attention
from mineguard.layers.conv import ConvBNAct
from mineguard.layers.csp import SPPF, C2f, C2fCIB, SCDown
from mineguard.layers.psa import PSA
from mineguard.losses.detection import V10DetectionLoss
from mineguard.models.scaling import scale_depth, scale_width
from mineguard.models.zoo import register_model

AttentionPosition = Literal["before_psa", "after_psa", "after_c2fcib"]


class YOLOv10Backbone(nn.Module):
    """x: (B, 3, H, W) -> P3 (B, c3, H/8, W/8), P4 (B, c4, H/16, W/16), P5 (B, c5, H/32, W/32)."""

    def __init__(
        self,
        *,
        width: float,
        depth: float,
        max_channels: int,
        attention: str | None,
        attention_position: AttentionPosition,
    ) -> None:
        super().__init__()
        c = [scale_width(x, width, max_channels) for x in (64, 128, 256, 512, 1024)]
        self.stem = nn.Sequential(ConvBNAct(3, c[0], 3, 2), ConvBNAct(c[0], c[1], 3, 2))
        self.stage2 = C2f(c[1], c[1], depth=scale_depth(3, depth), shortcut=True)
        self.stage3 = nn.Sequential(
            ConvBNAct(c[1], c[2], 3, 2), C2f(c[2], c[2], depth=scale_depth(6, depth), shortcut=True)
        )
        self.stage4 = nn.Sequential(SCDown(c[2], c[3]), C2f(c[3], c[3], depth=scale_depth(6, depth), shortcut=True))
        self.stage5 = nn.Sequential(
            SCDown(c[3], c[4]), C2f(c[4], c[4], depth=scale_depth(3, depth), shortcut=True), SPPF(c[4], c[4], 5)
        )
        self.attn_before = (
            create_attention(attention, c[4]) if attention and attention_position == "before_psa" else None
        )
        self.psa = PSA(c[4])
        self.attn_after = create_attention(attention, c[4]) if attention and attention_position == "after_psa" else None
        self.channels = (c[2], c[3], c[4])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stage2(self.stem(x))
        p3 = self.stage3(x)
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        if self.attn_before is not None:
            p5 = self.attn_before(p5)
        p5 = self.psa(p5)
        if self.attn_after is not None:
            p5 = self.attn_after(p5)
        return [p3, p4, p5]


class YOLOv10PAN(nn.Module):
    """Path-aggregation neck: top-down (upsample + concat) then bottom-up (downsample + concat)."""

    def __init__(
        self, channels: tuple[int, int, int], *, depth: float, attention: str | None, attention_position: str
    ) -> None:
        super().__init__()
        c3, c4, c5 = channels
        n = scale_depth(3, depth)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top_down4 = C2f(c5 + c4, c4, depth=n)
        self.top_down3 = C2f(c4 + c3, c3, depth=n)
        self.down3 = ConvBNAct(c3, c3, 3, 2)
        self.bottom_up4 = C2f(c3 + c4, c4, depth=n)
        self.down4 = SCDown(c4, c4)
        self.bottom_up5 = C2fCIB(c4 + c5, c5, depth=n, shortcut=True, large_kernel=True)
        self.attn = create_attention(attention, c5) if attention and attention_position == "after_c2fcib" else None
        self.channels = channels

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        p3, p4, p5 = feats
        t4 = self.top_down4(torch.cat((self.up(p5), p4), 1))
        out3 = self.top_down3(torch.cat((self.up(t4), p3), 1))
        out4 = self.bottom_up4(torch.cat((self.down3(out3), t4), 1))
        out5 = self.bottom_up5(torch.cat((self.down4(out4), p5), 1))
        if self.attn is not None:
            out5 = self.attn(out5)
        return [out3, out4, out5]


class YOLOv10Detector(nn.Module):
    """``Detector(backbone, neck, head)`` with its loss.

    forward(images (B, 3, H, W) in [0, 1], targets (T, 6) [batch_idx, class, x1, y1, x2, y2]
    pixels): training mode returns the dict of weighted loss terms; eval mode returns
    (B, max_det, 6) rows [x1, y1, x2, y2, score, class] in input pixels (NMS-free).
    """

    def __init__(
        self,
        backbone: nn.Module,
        neck: nn.Module,
        head: V10DetectHead,
        criterion: V10DetectionLoss,
        config: dict,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head
        self.criterion = criterion
        self.config = config

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    @property
    def loss_terms(self) -> tuple[str, ...]:
        return self.criterion.terms

    def forward(
        self, images: torch.Tensor, targets: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor] | torch.Tensor:
        out = self.head(self.neck(self.backbone(images)))
        if self.training:
            if targets is None:
                raise ValueError("training mode needs targets (T, 6); call model.eval() to predict")
            return self.criterion(out, targets)
        return out


def build_yolov10(
    *,
    num_classes: int = 80,
    width: float = 0.25,
    depth: float = 0.33,
    max_channels: int = 1024,
    attention: str | None = None,
    attention_position: AttentionPosition = "after_psa",
    dyhead_depth: int = 0,
    box_loss: str = "ciou",
    reg_max: int = 16,
    max_det: int = 300,
) -> YOLOv10Detector:
    """Compose a YOLOv10 detector; every variant below is this with other keyword arguments."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if attention_position not in ("before_psa", "after_psa", "after_c2fcib"):
        raise ValueError(f"attention_position '{attention_position}' — choose before_psa, after_psa or after_c2fcib")
    config = {
        "num_classes": num_classes,
        "width": width,
        "depth": depth,
        "max_channels": max_channels,
        "attention": attention,
        "attention_position": attention_position,
        "dyhead_depth": dyhead_depth,
        "box_loss": box_loss,
        "reg_max": reg_max,
        "max_det": max_det,
    }
    backbone = YOLOv10Backbone(
        width=width,
        depth=depth,
        max_channels=max_channels,
        attention=attention,
        attention_position=attention_position,
    )
    neck = YOLOv10PAN(backbone.channels, depth=depth, attention=attention, attention_position=attention_position)
    strides = (8, 16, 32)
    head = V10DetectHead(
        neck.channels,
        num_classes=num_classes,
        strides=strides,
        reg_max=reg_max,
        dyhead_depth=dyhead_depth,
        max_det=max_det,
    )
    criterion = V10DetectionLoss(num_classes=num_classes, strides=strides, reg_max=reg_max, box_loss=box_loss)
    return YOLOv10Detector(backbone, neck, head, criterion, config)


@register_model("yolov10n")
def yolov10n(**kwargs: object) -> YOLOv10Detector:
    """YOLOv10-N baseline (CIoU box loss)."""
    return build_yolov10(**kwargs)


@register_model("yolov10n-se")
def yolov10n_se(*, attention_position: AttentionPosition = "after_psa", **kwargs: object) -> YOLOv10Detector:
    """YOLOv10-N + Squeeze-and-Excitation (seed 001 Table 4)."""
    return build_yolov10(attention="se", attention_position=attention_position, **kwargs)


@register_model("yolov10n-bam")
def yolov10n_bam(*, attention_position: AttentionPosition = "after_psa", **kwargs: object) -> YOLOv10Detector:
    """YOLOv10-N + Bottleneck Attention Module (seed 001 Table 4)."""
    return build_yolov10(attention="bam", attention_position=attention_position, **kwargs)


@register_model("yolov10n-ca")
def yolov10n_ca(*, attention_position: AttentionPosition = "after_psa", **kwargs: object) -> YOLOv10Detector:
    """YOLOv10-N + Coordinate Attention at a selectable place (seed 001 Tables 2, 4)."""
    return build_yolov10(attention="ca", attention_position=attention_position, **kwargs)


@register_model("yolov10n-dyhead")
def yolov10n_dyhead(*, dyhead_depth: int = 2, **kwargs: object) -> YOLOv10Detector:
    """YOLOv10-N with a DyHead of depth 1-3 (seed 001 Table 5)."""
    return build_yolov10(dyhead_depth=dyhead_depth, **kwargs)


@register_model("yolov10n-ca-dyhead")
def yolov10n_ca_dyhead(*, dyhead_depth: int = 2, **kwargs: object) -> YOLOv10Detector:
    """CA after PSA + DyHead, CIoU loss: the third row of seed 001 Table 6."""
    return build_yolov10(attention="ca", attention_position="after_psa", dyhead_depth=dyhead_depth, **kwargs)


@register_model("ca-yolov10n")
def ca_yolov10n(*, dyhead_depth: int = 2, box_loss: str = "eiou", **kwargs: object) -> YOLOv10Detector:
    """CA-YOLOv10n, the paper's model: CA after PSA + DyHead x2 + EIoU (seed 001 Fig. 5)."""
    return build_yolov10(
        attention="ca", attention_position="after_psa", dyhead_depth=dyhead_depth, box_loss=box_loss, **kwargs
    )
