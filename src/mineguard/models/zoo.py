"""``MODELS``, the model zoo's ``Registry`` (``mineguard.registry``), tagged by task.

``@register_model`` on a builder, ``get_model(name, **kwargs)`` to build it, ``list_models(task)``
to list the names of one task ("detect", "face", "terrain") or all. More tags select further:
``scale="full"`` marks a paper-size model that is too big for CPU training and for the
registry-wide tests, which use its width/depth-scaled sibling instead (or, for a comparison
network without one, a test of its own); ``role="baseline"`` marks a paper's comparison networks;
``runtime="eager"`` a detector that is not exported to ONNX (torchvision's Faster R-CNN and SSD).

A detector may adapt itself to a training set before training: one with a ``fit_to_data(box_wh)``
method (``FitsData``; the anchor-based YOLOv3 family clusters its anchors there) is given the
training boxes by the engine, unless the run sets its ``fitted_kwargs`` itself, and returns the
builder keyword arguments to save with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from mineguard.registry import Registry

MODELS = Registry[nn.Module]("model")
Builder = Callable[..., nn.Module]


@runtime_checkable
class FitsData(Protocol):
    fitted_kwargs: tuple[str, ...]  # the builder kwargs ``fit_to_data`` sets; given ones are kept

    def fit_to_data(self, box_wh: torch.Tensor, *, seed: int = 0) -> dict[str, object]:
        """Adapt to training boxes (N, 2) w, h in input pixels; return the builder kwargs that rebuild it."""
        ...


def register_model(name: str, *, task: str = "detect", **tags: str) -> Callable[[Builder], Builder]:
    """Register a builder under ``name`` for ``task`` ("detect", "face", "terrain") and optional ``tags``;
    builders take keyword-only arguments."""
    return MODELS.register(name, task=task, **tags)


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name`` with the builder's keyword arguments."""
    return MODELS.build(name, **kwargs)


def list_models(task: str | None = None, **tags: str) -> list[str]:
    """Registered names, all or those of one ``task`` and matching every ``tags`` key=value."""
    where = tags if task is None else {"task": task, **tags}
    return MODELS.names(**where)
