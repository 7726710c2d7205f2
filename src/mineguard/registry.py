"""``Registry``: builders registered by name, built by name — one mechanism for every kind of model.

RISK_MODELS = Registry[RiskModel]("risk model")

@RISK_MODELS.register("trend")
def trend(**kwargs) -> TrendModel: ...

RISK_MODELS.build("trend", horizon_s=600)   # unknown name: ValueError listing the registered ones
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # e.g. "risk model", for the error messages
        self._builders: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Register a builder under ``name``; builders take keyword-only arguments."""

        def wrap(builder: Callable[..., T]) -> Callable[..., T]:
            if name in self._builders:
                raise ValueError(f"{self.what} '{name}' is registered twice")
            self._builders[name] = builder
            return builder

        return wrap

    def build(self, name: str, **kwargs: object) -> T:
        try:
            builder = self._builders[name]
        except KeyError:
            raise ValueError(f"unknown {self.what} '{name}' — choose one of: {', '.join(self.names())}") from None
        return builder(**kwargs)

    def names(self) -> list[str]:
        return sorted(self._builders)
