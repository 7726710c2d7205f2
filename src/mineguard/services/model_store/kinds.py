"""The kinds of model the service serves from the registry, each with its loader and fall-back.

A kind (``risk``, ``forecast``, ``seismic``, ``multimodal``; a text index later) is one :class:`ModelKind`
registered by name with :func:`register_model_kind`: how to load a file of it (a ValueError naming
what is wrong), what serves while its active version is broken (``fallback``), how to guard a loaded
model so that a failing call falls back instead of stopping the job (``guard``), and what the file
says about itself (its training data and metrics, for the registry's record). Adding a kind is one
builder here (or in the package that serves it); nothing else in the registry changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mineguard.registry import Registry


@dataclass(frozen=True)
class ArtefactFacts:
    """What a model file says about itself: its training data (a description) and numeric metrics."""

    training_data: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelKind:
    name: str  # "risk"
    label: str  # "risk model": how alerts and messages name it
    suffix: str  # the file name ending its loader reads (".pt")
    load: Callable[[Path], Any]  # a file -> the model; ValueError saying what is wrong with the file
    fallback: Callable[[], Any]  # what serves while the active version is broken
    guard: Callable[[Any, Any], Any]  # (model, fallback) -> a model whose failing calls fall back
    facts: Callable[[Any], ArtefactFacts]  # what a loaded model says about its training
    hint: str  # how to make a file of this kind
    serves_without_version: bool = True  # False: with no active version another kind judges (forecast)


SETTINGS_NOT_METRICS = frozenset({"seed", "per_series", "lr", "weight_decay", "seconds"})  # recorded by training

_KINDS = Registry[ModelKind]("model kind")
register_model_kind = _KINDS.register
model_kinds = _KINDS.names


def get_model_kind(name: str) -> ModelKind:
    """The registered kind ``name``; ValueError listing the kinds for an unknown one."""
    return _KINDS.build(name)


def _numbers(raw: dict[str, Any]) -> dict[str, float]:
    return {
        str(k): float(v)
        for k, v in raw.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
    }


def _plain_torch_file(path: Path) -> None:
    """Refuse a ``.pt`` that needs code to unpickle: only tensors, numbers, strings and containers load."""
    import torch

    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            f"{path}: not a PyTorch weights file the service can read safely (reading it failed with "
            f"{exc.__class__.__name__}; only tensors, numbers and strings are read, never pickled code)"
        ) from None


@register_model_kind("risk")
def risk_kind() -> ModelKind:
    """The risk model of the early warnings (``services/alerts/risk_job.py``): a learned ``.pt`` file."""
    from mineguard.warning.risk import get_risk_model, load_risk_model
    from mineguard.warning.risk.fallback import FallbackRiskModel

    def load(path: Path) -> Any:
        _plain_torch_file(path)
        return load_risk_model(path)

    def facts(model: Any) -> ArtefactFacts:
        training = dict(getattr(model, "training", {}) or {})
        data = training.get("data")
        metrics = {k: v for k, v in _numbers(training).items() if k not in SETTINGS_NOT_METRICS}
        return ArtefactFacts(data if isinstance(data, str) else None, metrics)

    return ModelKind(
        name="risk",
        label="risk model",
        suffix=".pt",
        load=load,
        fallback=lambda: get_risk_model("trend"),
        guard=FallbackRiskModel,
        facts=facts,
        hint="train one with `mineguard warn train risk --out risk.pt`",
    )


@register_model_kind("forecast")
def forecast_kind() -> ModelKind:
    """A LightGBM forecaster of one sensor kind (``warning/risk/forecaster.py``), a ``.json`` file; the risk job
    judges the kind it serves with it and every other kind with the risk model (``ServedModels.risk_models``)."""
    from mineguard.warning.risk import get_risk_model
    from mineguard.warning.risk.fallback import FallbackRiskModel
    from mineguard.warning.risk.forecaster import load_forecast_artefact

    def facts(model: Any) -> ArtefactFacts:
        training = model.forecaster.training_
        metrics = {f"best_iterations_{i}": float(n) for i, n in enumerate(training.get("best_iterations", []))}
        return ArtefactFacts(None, metrics)

    return ModelKind(
        name="forecast",
        label="forecast model",
        suffix=".json",
        load=load_forecast_artefact,
        fallback=lambda: get_risk_model("trend"),  # the risk job uses the served risk model instead
        guard=FallbackRiskModel,
        facts=facts,
        hint="make one with `mineguard warn forecast CSV --model lightgbm --save forecast.json --serve-as co`",
        serves_without_version=False,
    )


def training_facts(model: Any) -> ArtefactFacts:
    """The facts of a model that keeps its training record in ``model.training`` (``data`` and numbers)."""
    training = dict(getattr(model, "training", {}) or {})
    data = training.get("data")
    metrics = {k: v for k, v in _numbers(training).items() if k not in SETTINGS_NOT_METRICS}
    return ArtefactFacts(data if isinstance(data, str) else None, metrics)


@register_model_kind("seismic")
def seismic_kind() -> ModelKind:
    """The seismic hazard model of the shift-end warnings (``services/alerts/seismic_job.py``): a ``.json`` file."""
    from mineguard.warning.seismic_served import FallbackSeismicModel, SeismicRule, load_seismic_model

    return ModelKind(
        name="seismic",
        label="seismic hazard model",
        suffix=".json",
        load=load_seismic_model,
        fallback=SeismicRule,
        guard=FallbackSeismicModel,
        facts=training_facts,
        hint="train one with `mineguard warn train seismic --save seismic.json`",
    )


@register_model_kind("multimodal")
def multimodal_kind() -> ModelKind:
    """The multimodal early-warning model (``services/alerts/fusion_job.py``): a ``window-gbm`` ``.json`` file of
    ``mineguard warn train multimodal``. With no active version nothing serves (no fusion warnings; the threshold
    rules and the risk job keep warning)."""
    from mineguard.warning.window_served import FallbackFusionModel, NoFusionModel, load_served_window_gbm

    return ModelKind(
        name="multimodal",
        label="multimodal model",
        suffix=".json",
        load=load_served_window_gbm,
        fallback=NoFusionModel,
        guard=FallbackFusionModel,
        facts=training_facts,
        hint="train one with `mineguard warn train multimodal --model window-gbm --save window_gbm.json`",
        serves_without_version=False,
    )
