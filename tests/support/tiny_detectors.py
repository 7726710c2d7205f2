"""Tiny untrained zoo detectors with a fixed seed, saved as checkpoints like a training run's.

A fresh detector's scores are nearly all equal (the class-prior bias dominates), so ranks would
be ties; ``spread_outputs`` redraws the heads' last convolutions so that scores and boxes vary
from anchor to anchor, which makes eager vs exported comparisons meaningful.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from mineguard.models import get_model, list_models
from mineguard.models.checkpoint import save_checkpoint

NAMES = ["helmet", "no_helmet"]


# The detectors small enough for registry-wide export tests: all but the paper-size ones
# (scale="full") and the eager-only torchvision baselines (runtime="eager").
TESTED_DETECTORS = [
    n for n in list_models("detect") if n not in list_models(scale="full") + list_models(runtime="eager")
]


def _output_convs(model: nn.Module) -> list[nn.Conv2d]:
    """The last convolutions of the head: those of the inference branch (YOLOv10) or every level (YOLOv3)."""
    head = model.head
    if hasattr(head, "box_o2o"):
        return [branch[-1] for branches in (head.box_o2o, head.cls_o2o) for branch in branches]
    return [pred[-1] for pred in head.preds]


def spread_outputs(model: nn.Module, *, seed: int = 0) -> nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for last in _output_convs(model):
            last.weight.copy_(torch.randn(last.weight.shape, generator=g) * 0.1)
            last.bias.copy_(torch.randn(last.bias.shape, generator=g))
    return model


def tiny_detector(name: str, *, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return spread_outputs(get_model(name, num_classes=len(NAMES)), seed=seed).eval()


def tiny_checkpoint(path: Path, name: str, *, img_size: int = 64, seed: int = 0) -> Path:
    """A checkpoint ``load_model`` reads, of an untrained ``name`` with spread outputs."""
    model = tiny_detector(name, seed=seed)
    save_checkpoint(
        path,
        {
            "model_name": name,
            "model_config": {"num_classes": len(NAMES)},
            "names": NAMES,
            "model": model.state_dict(),
            "img_size": img_size,
        },
    )
    return path
