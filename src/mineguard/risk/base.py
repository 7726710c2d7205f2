"""The ``RiskModel`` interface, its typed result and the registry of models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from mineguard.registry import Registry

Direction = Literal[">=", "<="]  # the limit is a maximum (methane) or a minimum (oxygen)


@dataclass(frozen=True)
class RiskAssessment:
    """A model's view of one signal: where it is heading and how likely it reaches ``limit`` within
    ``horizon_s`` seconds of its last reading."""

    model: str
    value: float  # the latest reading
    rate_per_min: float  # the model's current rate of change, units per minute
    horizon_s: float
    predicted: float  # the expected value at the horizon
    predicted_sd: float  # its standard deviation (the model's uncertainty)
    limit: float
    op: Direction
    probability: float  # P(value past the limit at the horizon), in [0, 1]
    minutes_to_limit: float | None  # when the expected path crosses the limit; None if it does not

    @property
    def past_limit(self) -> bool:
        return self.value >= self.limit if self.op == ">=" else self.value <= self.limit


class RiskModel(Protocol):
    """``assess(t_s, values, limit=..., op=...)``: ``t_s`` epoch seconds (ascending), ``values`` in the
    sensor's unit; None when the history is too short to say anything."""

    name: str
    window_s: float
    horizon_s: float

    def assess(self, t_s: np.ndarray, values: np.ndarray, *, limit: float,
               op: Direction = ">=") -> RiskAssessment | None: ...  # fmt: skip


_RISK_MODELS = Registry[RiskModel]("risk model")
# register_risk_model("name") decorates a builder with keyword-only arguments
register_risk_model = _RISK_MODELS.register
get_risk_model = _RISK_MODELS.build
list_risk_models = _RISK_MODELS.names
