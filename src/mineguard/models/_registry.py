"""Model registry: ``@register_model`` on a builder, ``get_model(name, **kwargs)`` to build it."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}
_TASKS: dict[str, str] = {}
Builder = Callable[..., nn.Module]


def register_model(name: str, *, task: str = "detect") -> Callable[[Builder], Builder]:
    """Register a builder under ``name`` for ``task`` ("detect", "face"); builders take keyword-only arguments."""

    def wrap(builder: Builder) -> Builder:
        if name in _MODELS:
            raise ValueError(f"model '{name}' is registered twice")
        _MODELS[name] = builder
        _TASKS[name] = task
        return builder

    return wrap


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name`` with the builder's keyword arguments."""
    try:
        builder = _MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model '{name}' — choose one of: {', '.join(list_models())}") from None
    return builder(**kwargs)


def list_models(task: str | None = None) -> list[str]:
    """Registered names, all or those of one ``task``."""
    return sorted(name for name in _MODELS if task is None or _TASKS[name] == task)
