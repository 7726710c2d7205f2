"""Model registry: ``@register_model`` on a builder, ``get_model(name, **kwargs)`` to build it."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Register a builder under ``name``; builders take keyword-only arguments."""

    def wrap(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _MODELS:
            raise ValueError(f"model '{name}' is registered twice")
        _MODELS[name] = builder
        return builder

    return wrap


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build the registered model ``name`` with the builder's keyword arguments."""
    try:
        builder = _MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model '{name}' — choose one of: {', '.join(list_models())}") from None
    return builder(**kwargs)


def list_models() -> list[str]:
    return sorted(_MODELS)
