"""Tiny real forecast models for the ``forecast`` kind: LightGBM forecasters trained in a fraction of a second on a
ramp rising ``rate`` per 30 s step (every change is the same, so a forecast is known: last + rate x steps), saved
as served artefacts; and a NaN one (its calibration scores are NaN, so every band and spread is NaN)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from mineguard.warning.forecast_lgbm import LightGBMForecaster
from mineguard.warning.risk.forecaster import write_forecast_artefact
from mineguard.warning.series import SensorSeries, resample
from mineguard.warning.series_windows import make_windows

STEP_S, INPUT_STEPS, HORIZONS = 30.0, 10, (2, 6, 10)  # +1, +3, +5 min


def tiny_forecaster(rate: float = 0.1, *, name: str = "co", n: int = 600) -> LightGBMForecaster:
    t = 1_700_000_010.0 + STEP_S * np.arange(n)  # a 30 s clock (epoch multiple of 30 s, as the live grid)
    grid = resample(SensorSeries(t, (5.0 + rate * np.arange(n))[:, None], (name,)), step_s=STEP_S)
    windows = make_windows(grid, input_steps=INPUT_STEPS, horizons=HORIZONS, targets=[name])
    model = LightGBMForecaster(n_estimators=5, min_child_samples=5, early_stopping_rounds=2, num_leaves=3)
    return model.fit(windows)


def forecast_file(folder: Path, name: str = "forecast.json", *, rate: float = 0.1, sensor_kind: str = "co") -> Path:
    return write_forecast_artefact(tiny_forecaster(rate), folder / name, sensor_kind=sensor_kind)


def nan_forecast_file(folder: Path, name: str = "nan.json") -> Path:
    path = forecast_file(folder, name, rate=0.2)
    raw = json.loads(path.read_text())
    raw["calibration_scores"] = np.full(np.shape(raw["calibration_scores"]), math.nan).tolist()
    path.write_text(json.dumps(raw))
    return path
