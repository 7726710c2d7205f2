"""``MODELS``, the model zoo's ``Registry`` (``mineguard.registry``), tagged by task.

``@register_model`` on a builder, ``get_model(name, **kwargs)`` to build it, ``list_models(task)``
to list the names of one task ("detect", "face") or all.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from mineguard.registry import Registry

MODELS = Registry[nn.Module]("model")
Builder = Callable[..., nn.Module]


def register_model(name: str, *, task: str = "detect") -> Callable[[Builder], Builder]:
    """Register a builder under ``name`` for ``task`` ("detect", "face"); builders take keyword-only arguments."""
    return MODELS.register(name, task=task)


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name`` with the builder's keyword arguments."""
    return MODELS.build(name, **kwargs)


def list_models(task: str | None = None) -> list[str]:
    """Registered names, all or those of one ``task``."""
    return MODELS.names() if task is None else MODELS.names(task=task)
