"""The ``RiskModel`` interface, its typed result, the registry of models and ``load_risk_model``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
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

    def assess(
        self, t_s: np.ndarray, values: np.ndarray, *, limit: float, op: Direction = ">="
    ) -> RiskAssessment | None: ...


def finite_series(t_s: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, values)`` as float arrays without the non-finite pairs; both must be 1-D and of equal length."""
    t, v = np.asarray(t_s, dtype=float), np.asarray(values, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"t_s and values must be 1-D and of equal length, got {t.shape} and {v.shape}")
    keep = np.isfinite(t) & np.isfinite(v)
    return t[keep], v[keep]


_RISK_MODELS = Registry[RiskModel]("risk model")
# register_risk_model("name") decorates a builder with keyword-only arguments
register_risk_model = _RISK_MODELS.register
get_risk_model = _RISK_MODELS.build
list_risk_models = _RISK_MODELS.names


def parse_options(text: str) -> dict[str, float]:
    """``"window_s=60,horizon_s=180"`` as ``{"window_s": 60.0, "horizon_s": 180.0}``; ValueError names a bad pair."""
    options: dict[str, float] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not key.strip().isidentifier() or not math.isfinite(number):
            raise ValueError(f"'{pair}': write each option as name=number, e.g. trend:window_s=60,horizon_s=180")
        options[key.strip()] = number
    return options


def load_risk_model(spec: str | Path) -> RiskModel:
    """The risk model named by ``spec``: a registered name (``"trend"``), optionally with its options after a
    colon (``"trend:window_s=60,min_span_s=30,horizon_s=180"``), or the path of a saved model file
    (``runs/warn/risk.pt``, written by ``mineguard warn train risk``; anything ending in ``.pt`` or existing
    on disk is taken as a file). ValueError says what to pass instead of an unknown name, a bad option or a
    bad file."""
    text = str(spec).strip()
    name, _, options = text.partition(":")
    if options and name in _RISK_MODELS.names() and name != "learned":
        try:
            return get_risk_model(name, **parse_options(options))  # type: ignore[arg-type]
        except TypeError as exc:  # an option the model does not take
            hint = "trend takes window_s, horizon_s, min_samples, min_span_s and min_sd"
            raise ValueError(f"risk model '{name}': {exc} — {hint}") from None
    if text in _RISK_MODELS.names():
        if text == "learned":
            raise ValueError(
                "risk model 'learned' is read from a file — pass the path of a saved model, e.g. "
                "runs/warn/risk.pt (train one with `mineguard warn train risk`)"
            )
        return get_risk_model(text)
    if text.endswith(".pt") or (text and Path(text).exists()):
        return get_risk_model("learned", path=Path(text))
    raise ValueError(
        f"unknown risk model '{text}' — pass a registered name ({', '.join(_RISK_MODELS.names())}) "
        "or the path of a saved model file (.pt, from `mineguard warn train risk`)"
    )
