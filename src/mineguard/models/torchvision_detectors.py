"""Seed 000's comparison detectors, Faster R-CNN and SSD, from torchvision, behind the zoo's detector interface.

Seed 000 (Table 1) compares YOLOv3-GC with Faster R-CNN, SSD and YOLOv2. torchvision builds the
first two; no weights are downloaded (``weights=None, weights_backbone=None``): they are trained
from scratch on the same split, by the same engine and scored by the same evaluator as the YOLO
models. With no pre-trained backbone torchvision uses plain BatchNorm and (SSDlite) MobileNetV3's
reduced tail.

======================  =================================================  ============================
name                    network                                            size
======================  =================================================  ============================
``faster-rcnn-mnv3``    Faster R-CNN, MobileNetV3-Large FPN (320 variant)  CPU baseline
``ssdlite-mnv3``        SSDlite320, MobileNetV3-Large                      CPU baseline
``faster-rcnn-r50``     Faster R-CNN, ResNet-50 FPN                        paper size (``scale="full"``)
``ssd300-vgg16``        SSD300, VGG-16                                     paper size (``scale="full"``)
======================  =================================================  ============================

The interface is the zoo's: ``forward(images (B, 3, H, W) in [0, 1], targets (T, 6) [batch_idx,
class, x1, y1, x2, y2] pixels)`` returns the dict of loss terms in training mode and, in eval mode,
(B, max_det, 6) rows [x1, y1, x2, y2, score, class] in input pixels, zero-padded (score 0 is a
padding row, as for YOLOv3). Class k of the data set is torchvision's label k + 1 (0 is background).

Loss scale: torchvision's loss terms are batch means (the YOLO losses are too); the engine multiplies
them by the batch size and accumulates to ``nominal_batch`` images, so torchvision's reference
learning rate (0.02 for 16 images, Faster R-CNN) is ``lr0 = 0.02 / 16`` here — see
``configs/hazards_baselines_cpu320.yaml``. Faster R-CNN sees the letterboxed input at its own size
(the transform's resize is set to the input's shape); SSD resizes to its fixed 300 or 320 px and
maps the boxes back. They run in eager PyTorch only (``runtime="eager"``): ``mineguard detect
val|predict`` score and use their checkpoints, ``detect export`` refuses them with that advice.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision.models.detection import (
    fasterrcnn_mobilenet_v3_large_320_fpn,
    fasterrcnn_resnet50_fpn,
    ssd300_vgg16,
    ssdlite320_mobilenet_v3_large,
)
from torchvision.models.detection.faster_rcnn import FasterRCNN

from mineguard.models.zoo import register_model

MAX_DET = 300
EVAL_SCORE = 0.001  # keep low-score boxes for mAP, as the YOLO models' validation does (conf 0.001)


class NoBias:
    """Stands in for a YOLO head: the engine sets a class-prior bias, torchvision initialises its own."""

    def reset_bias(self, img_size: int) -> None:
        return None


class TorchvisionDetector(nn.Module):
    """A torchvision detection network with the zoo's detector interface (see the module docstring)."""

    def __init__(self, net: nn.Module, *, num_classes: int, loss_terms: tuple[str, ...], config: dict) -> None:
        super().__init__()
        self.net = net
        self.config = config
        self.head = NoBias()
        self._num_classes = num_classes
        self._loss_terms = loss_terms

    @property
    def num_classes(self) -> int:
        return self._num_classes

    @property
    def loss_terms(self) -> tuple[str, ...]:
        return self._loss_terms

    def _fit_transform(self, images: torch.Tensor) -> None:
        if isinstance(self.net, FasterRCNN):
            h, w = images.shape[-2:]
            self.net.transform.min_size = (int(min(h, w)),)
            self.net.transform.max_size = int(max(h, w))

    def forward(
        self, images: torch.Tensor, targets: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor] | torch.Tensor:
        self._fit_transform(images)
        batch = list(images)
        if self.training:
            if targets is None:
                raise ValueError("training mode needs targets (T, 6) [batch_idx, class, x1, y1, x2, y2]")
            return self.net(batch, _per_image(targets, len(batch)))
        return _pack(self.net(batch), images.shape[0], images.device)


def _per_image(targets: torch.Tensor, batch: int) -> list[dict[str, torch.Tensor]]:
    """(T, 6) rows -> torchvision's per-image ``{"boxes": (n, 4), "labels": (n,)}``, label = class + 1."""
    out = []
    for i in range(batch):
        rows = targets[targets[:, 0] == i]
        out.append({"boxes": rows[:, 2:6].float(), "labels": rows[:, 1].long() + 1})
    return out


def _pack(results: list[dict[str, torch.Tensor]], batch: int, device: torch.device) -> torch.Tensor:
    """torchvision's per-image dicts -> (B, MAX_DET, 6) [x1, y1, x2, y2, score, class], zero-padded."""
    out = torch.zeros(batch, MAX_DET, 6, device=device)
    for i, r in enumerate(results):
        n = min(len(r["scores"]), MAX_DET)
        out[i, :n, :4] = r["boxes"][:n]
        out[i, :n, 4] = r["scores"][:n]
        out[i, :n, 5] = (r["labels"][:n] - 1).float()
    return out


FASTER_RCNN_TERMS = ("loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg")
SSD_TERMS = ("bbox_regression", "classification")


def _build(
    name: str, builder: Callable[..., nn.Module], terms: tuple[str, ...], num_classes: int, **kwargs: object
) -> TorchvisionDetector:
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    net = builder(weights=None, weights_backbone=None, num_classes=num_classes + 1, **kwargs)
    return TorchvisionDetector(
        net, num_classes=num_classes, loss_terms=terms, config={"name": name, "num_classes": num_classes}
    )


FASTER_RCNN_EVAL = {"box_score_thresh": EVAL_SCORE, "box_detections_per_img": MAX_DET}


@register_model("faster-rcnn-mnv3", role="baseline", runtime="eager")
def faster_rcnn_mnv3(*, num_classes: int = 80) -> TorchvisionDetector:
    # 128 sampled proposals an image for the box head (torchvision: 512): at 512 its two fully
    # connected layers take 2/3 of a CPU training step (1.1 s an image at 320 px; 0.39 s at 128)
    return _build(
        "faster-rcnn-mnv3",
        fasterrcnn_mobilenet_v3_large_320_fpn,
        FASTER_RCNN_TERMS,
        num_classes,
        box_batch_size_per_image=128,
        **FASTER_RCNN_EVAL,
    )


@register_model("faster-rcnn-r50", role="baseline", scale="full", runtime="eager")
def faster_rcnn_r50(*, num_classes: int = 80) -> TorchvisionDetector:
    return _build("faster-rcnn-r50", fasterrcnn_resnet50_fpn, FASTER_RCNN_TERMS, num_classes, **FASTER_RCNN_EVAL)


@register_model("ssdlite-mnv3", role="baseline", runtime="eager")
def ssdlite_mnv3(*, num_classes: int = 80) -> TorchvisionDetector:
    # its builder passes extra kwargs on to MobileNetV3 as well; its defaults already keep 300 boxes at 0.001
    return _build("ssdlite-mnv3", ssdlite320_mobilenet_v3_large, SSD_TERMS, num_classes)


@register_model("ssd300-vgg16", role="baseline", scale="full", runtime="eager")
def ssd300(*, num_classes: int = 80) -> TorchvisionDetector:
    return _build(
        "ssd300-vgg16", ssd300_vgg16, SSD_TERMS, num_classes, score_thresh=EVAL_SCORE, detections_per_img=MAX_DET
    )
