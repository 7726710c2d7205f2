"""``Registry``: builders registered by name, built by name — the one mechanism for every kind of model.

Each kind of model keeps one ``Registry`` instance beside its interface: the model zoo's
``MODELS`` (``mineguard.models.zoo``, detectors and face networks, tagged by task), the risk
models, forecasters, seismic hazard models and text embedders of ``mineguard.warning``.

RISK_MODELS = Registry[RiskModel]("risk model")

@RISK_MODELS.register("trend")
def trend(**kwargs) -> TrendModel: ...

RISK_MODELS.build("trend", horizon_s=600)   # unknown name: ValueError listing the registered ones

A builder may carry tags (``@MODELS.register("yolov10n", task="detect")``) to list by:
``MODELS.names(task="detect")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # e.g. "risk model", for the error messages
        self._builders: dict[str, Callable[..., T]] = {}
        self._tags: dict[str, dict[str, str]] = {}

    def register(self, name: str, **tags: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Register a builder under ``name`` with optional ``tags``; builders take keyword-only arguments."""

        def wrap(builder: Callable[..., T]) -> Callable[..., T]:
            if name in self._builders:
                raise ValueError(f"{self.what} '{name}' is registered twice")
            self._builders[name] = builder
            self._tags[name] = dict(tags)
            return builder

        return wrap

    def build(self, name: str, **kwargs: object) -> T:
        try:
            builder = self._builders[name]
        except KeyError:
            raise ValueError(f"unknown {self.what} '{name}' — choose one of: {', '.join(self.names())}") from None
        return builder(**kwargs)

    def names(self, **where: str) -> list[str]:
        """Registered names, sorted: all, or those whose tags match every ``key=value`` of ``where``."""
        return sorted(n for n, tags in self._tags.items() if all(tags.get(k) == v for k, v in where.items()))
