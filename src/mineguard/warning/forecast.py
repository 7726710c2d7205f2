"""Forecasters of sensor trajectories (seed 003 §3.3 "risk prediction"), all with one interface.

``fit(train, val=None)`` learns from ``Windows`` (``mineguard.warning.series_windows``);
``predict(windows)`` returns (N, H, K): each target sensor at each horizon, in sensor units.
Registered by name (``register_forecaster``, ``get_forecaster``), like the platform's risk models.

Baselines (in ``forecast_baselines``):

- ``persistence``: the last reading, the yardstick (ratios to it are the skill scores).
- ``ewma``: an exponentially weighted mean of the window; ``alpha`` given or picked per sensor on train.
- ``trend``: a least-squares line through the last ``steps`` inputs, extrapolated.
- ``gbm``: scikit-learn ``HistGradientBoostingRegressor`` on lag features of every input sensor, one
  model per (target sensor, horizon), predicting the change from the last reading; early stopping
  on the validation windows when given (never a random split of time-correlated windows).

``lightgbm`` (``forecast_lgbm``): LightGBM on richer window features (``forecast_features``), early
stopping and split-conformal prediction intervals on the time-ordered validation windows. It is an
``IntervalForecaster``: ``predict_interval(windows, levels)`` gives calibrated 80 % / 95 % bands
(``forecast_intervals.PredictionIntervals``); ``has_intervals`` tells which forecasters do. It saves
to one JSON file (``save``) that ``load_forecaster`` reads back, for the service to serve.

The learned one, ``transformer`` (``SensorTransformer``, seed 003 §3.2), is in
``forecast_transformer``. This module owns the interface, the registry and the builders in it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from mineguard.registry import Registry
from mineguard.warning.forecast_baselines import EWMA, LagGBM, LinearTrend, Persistence
from mineguard.warning.forecast_intervals import PredictionIntervals
from mineguard.warning.forecast_lgbm import LightGBMForecaster
from mineguard.warning.forecast_transformer import TransformerForecaster
from mineguard.warning.series_windows import Windows


class Forecaster(Protocol):
    name: str

    def fit(self, train: Windows, val: Windows | None = None) -> Forecaster: ...

    def predict(self, windows: Windows) -> np.ndarray: ...  # (N, H, K) sensor units


class IntervalForecaster(Forecaster, Protocol):
    """A forecaster that also gives calibrated central prediction intervals (optional extension)."""

    def predict_interval(self, windows: Windows, levels: Sequence[float] | None = None) -> PredictionIntervals: ...


def has_intervals(model: Forecaster) -> bool:
    """Whether ``model`` gives prediction intervals (``predict_interval``), e.g. to draw forecast bands."""
    return callable(getattr(model, "predict_interval", None))


_FORECASTERS = Registry[Forecaster]("forecaster")
# register_forecaster("name") decorates a builder with keyword-only arguments
register_forecaster = _FORECASTERS.register
get_forecaster = _FORECASTERS.build
list_forecasters = _FORECASTERS.names


@register_forecaster("persistence")
def persistence() -> Persistence:
    return Persistence()


@register_forecaster("ewma")
def ewma(**kwargs: float) -> EWMA:
    return EWMA(**kwargs)  # type: ignore[arg-type]


@register_forecaster("trend")
def trend(**kwargs: int) -> LinearTrend:
    return LinearTrend(**kwargs)


@register_forecaster("gbm")
def gbm(**kwargs: float) -> LagGBM:
    return LagGBM(**kwargs)  # type: ignore[arg-type]


@register_forecaster("transformer")
def transformer(**kwargs: float) -> TransformerForecaster:
    return TransformerForecaster(**kwargs)  # type: ignore[arg-type]


@register_forecaster("lightgbm")
def lightgbm(**kwargs: object) -> LightGBMForecaster:
    return LightGBMForecaster(**kwargs)


_LOADERS = {"lightgbm": LightGBMForecaster.load}  # forecasters that save to one file, by the name written in it


def load_forecaster(path: str | Path) -> Forecaster:
    """The forecaster saved at ``path`` (by its ``save``); ValueError naming the file and the fix."""
    path = Path(path)
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("forecaster")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such forecaster file — train one with `mineguard warn forecast --save`") from None
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        raise ValueError(f"{path}: not a saved forecaster (a JSON object) — train and save one") from None
    if name not in _LOADERS:
        raise ValueError(f"{path}: a '{name}' forecaster; these load from a file: {', '.join(sorted(_LOADERS))}")
    return _LOADERS[name](path)
