"""A saved LightGBM forecaster served as a :class:`RiskModel`: the ``forecast`` kind of the model registry.

The artefact is the JSON file of ``LightGBMForecaster.save`` (LightGBM's own model text per booster,
no pickle) plus a ``serves`` object naming the site's sensor kind it forecasts and the unit of the values it
was trained on, e.g. ``{"sensor_kind": "co", "target": "field6", "unit": "ppm"}`` for the Dig_IT CO field
(``mineguard warn forecast ... --model lightgbm --save forecast.json --serve-as co --serve-unit ppm``). A
served forecaster reads one sensor's own readings (its only input is its target), because the risk job hands
a model one sensor's series. The service stores readings in the kind's canonical unit
(:mod:`mineguard.mine.units`); a forecaster trained in another unit of the kind (CO in ppb, dust in ug/m3)
is given the readings converted into its unit and its forecasts are converted back, since its
features and its learned changes are not scale-free. A file without ``unit`` was trained in the canonical unit.

:meth:`ForecasterRiskModel.forecast` puts the cleansed readings on the forecaster's clock
(``series.resample``, gaps up to three steps filled, never longer), cuts the latest window
(``series_windows.latest_window``) and predicts every horizon with its split-conformal bands.
:meth:`assess` answers the risk job at the furthest horizon: ``predicted`` the forecast,
``predicted_sd`` the 95 % band's half-width / 1.96 (a normal reading of the conformal band, for
the stored forecast), ``probability`` the share of calibration residuals that put the value past
the limit (the conformal scores as an empirical error distribution), ``minutes_to_limit`` where
the forecast path (last reading, then each horizon, straight between) first reaches the limit.
With less history than one window it defers to ``short_history`` (the served risk model) when given.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mineguard.mine.units import CANONICAL_UNITS, Conversion, UnitError, conversion
from mineguard.warning.forecast_lgbm import LightGBMForecaster
from mineguard.warning.risk.base import Direction, RiskAssessment, RiskModel, finite_series
from mineguard.warning.series import SensorSeries, resample
from mineguard.warning.series_windows import latest_window

Z_95 = 1.96


@dataclass(frozen=True)
class Serves:
    """What a forecast artefact serves: the site's ``sensor_kind``, the forecaster's ``target`` name and the
    ``unit`` its training values were in (one the kind converts from); ``conversion`` the forecaster's unit ->
    the kind's canonical unit (the service's readings), resolved once here when the artefact is loaded
    (:class:`UnitError` for a unit the kind does not convert from)."""

    sensor_kind: str
    target: str
    unit: str
    conversion: Conversion = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conversion", conversion(self.sensor_kind, self.unit))


@dataclass(frozen=True)
class ServedForecast:
    """One live forecast: ``t_origin_s`` (epoch s), ``horizons_s`` (H,), ``predicted`` (H,) sensor units,
    ``lower``/``upper`` (Q, H) bands at ``levels``, ``last`` the latest grid value, ``scale`` the window's
    local scale (what the conformal scores are multiplied by)."""

    t_origin_s: float
    last: float
    scale: float
    horizons_s: np.ndarray
    predicted: np.ndarray
    levels: tuple[float, ...]
    lower: np.ndarray
    upper: np.ndarray

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        i = [round(v, 6) for v in self.levels].index(round(level, 6))
        return self.lower[i], self.upper[i]


def read_serves(raw: Any, forecaster: LightGBMForecaster, where: str) -> Serves:
    """The ``serves`` object of an artefact, checked against the forecaster; ValueError naming the field."""
    hint = "save it with `mineguard warn forecast ... --model lightgbm --save FILE.json --serve-as KIND`"
    if not isinstance(raw, dict) or not isinstance(raw.get("sensor_kind"), str) or not raw["sensor_kind"].strip():
        raise ValueError(f"{where}: field 'serves' must be an object with a 'sensor_kind' (e.g. co) — {hint}")
    layout = forecaster.layout_
    names, targets = list(layout["names"]), list(layout["targets"])  # type: ignore[call-overload]
    if len(names) != 1 or targets != [0]:
        raise ValueError(
            f"{where}: a served forecaster reads one sensor's own readings, this one reads {names} and forecasts "
            f"{[names[i] for i in targets]} — train it on the target alone (e.g. --columns field6=field6)"
        )
    target = raw.get("target", names[0])
    if target != names[0]:
        raise ValueError(f"{where}: serves.target '{target}' is not the forecaster's sensor '{names[0]}'")
    kind = raw["sensor_kind"].strip()
    if kind not in CANONICAL_UNITS:
        raise ValueError(
            f"{where}: serves.sensor_kind '{kind}' is not a sensor kind — one of: {', '.join(CANONICAL_UNITS)}"
        )
    unit = raw.get("unit", CANONICAL_UNITS[kind])
    if not isinstance(unit, str):
        raise ValueError(f"{where}: serves.unit must be a unit name such as '{CANONICAL_UNITS[kind]}', got {unit!r}")
    try:
        conversion(kind, unit)
    except UnitError as exc:
        raise ValueError(
            f"{where}: serves.unit: {exc} (the unit of the values the forecaster was trained on)"
        ) from None
    return Serves(kind, names[0], unit.strip())


def load_forecast_artefact(path: str | Path) -> ForecasterRiskModel:
    """The served forecaster in ``path``; ValueError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a forecast model (not a JSON file: {exc.__class__.__name__})") from None
    if not isinstance(raw, dict) or "serves" not in raw:
        raise ValueError(f"{path}: field 'serves' missing — add --serve-as KIND when saving the forecaster")
    try:
        forecaster = LightGBMForecaster.load(path)
    except ValueError:
        raise
    except Exception as exc:  # a JSON that is not a forecaster: missing keys, bad booster text
        raise ValueError(
            f"{path}: not a saved LightGBM forecaster ({exc.__class__.__name__}: {str(exc)[:120]})"
        ) from None
    return ForecasterRiskModel(forecaster, read_serves(raw["serves"], forecaster, str(path)))


def write_forecast_artefact(
    forecaster: LightGBMForecaster, path: str | Path, *, sensor_kind: str, unit: str | None = None
) -> Path:
    """Save ``forecaster`` serving ``sensor_kind``, trained on values in ``unit`` (None: the kind's canonical
    unit), checked as the loader checks it: nothing is written when it would not load."""
    serves = {"sensor_kind": sensor_kind, "target": forecaster.layout_["names"][0]}  # type: ignore[index]
    if unit is not None or sensor_kind in CANONICAL_UNITS:
        serves["unit"] = unit if unit is not None else CANONICAL_UNITS[sensor_kind]
    read_serves(serves, forecaster, str(path))
    path = forecaster.save(path)
    raw = json.loads(path.read_text())
    raw["serves"] = serves
    path.write_text(json.dumps(raw))
    return path


class ForecasterRiskModel:
    """See the module docstring."""

    def __init__(self, forecaster: LightGBMForecaster, serves: Serves, *, short_history: RiskModel | None = None):
        layout = forecaster.layout_
        self.forecaster, self.serves, self.short_history = forecaster, serves, short_history
        self.name = "lightgbm-forecast"
        self.step_s = float(layout["step_s"])  # type: ignore[arg-type]
        self.input_steps = int(layout["input_steps"])  # type: ignore[call-overload]
        self.horizons = tuple(int(h) for h in layout["horizons"])  # type: ignore[union-attr]
        self.horizon_s = max(self.horizons) * self.step_s
        self.window_s = (self.input_steps + 1) * self.step_s
        if short_history is not None:
            self.window_s = max(self.window_s, short_history.window_s)

    def with_short_history(self, model: RiskModel | None) -> ForecasterRiskModel:
        return ForecasterRiskModel(self.forecaster, self.serves, short_history=model)

    def forecast(self, t_s: np.ndarray, values: np.ndarray) -> ServedForecast | None:
        """The forecast from the readings ``(t_s, values)`` (epoch s, sensor units); None without a full window."""
        t, y = finite_series(t_s, values)
        if t.size == 0:
            return None
        to_canonical = self.serves.conversion
        y = (y - to_canonical.offset) / to_canonical.scale  # into the forecaster's unit
        recent = t >= t[-1] - self.window_s
        series = SensorSeries(t[recent], y[recent, None], (self.serves.target,))
        grid = resample(series, step_s=self.step_s, max_fill_s=3 * self.step_s)
        window = latest_window(grid, input_steps=self.input_steps, horizons=self.horizons, targets=[self.serves.target])
        if window is None:
            return None
        bands = self.forecaster.predict_interval(window)
        point = self.forecaster.predict(window)[0, :, 0]
        scale, offset = to_canonical.scale, to_canonical.offset  # back into the service's unit
        return ServedForecast(
            float(window.t_origin_s[0]),
            float(window.last_values[0, 0]) * scale + offset,
            float(self.forecaster._scale(window)[0, 0, 0]) * scale,
            np.asarray(self.horizons, dtype=float) * self.step_s,
            point * scale + offset,
            bands.levels,
            bands.lower[:, 0, :, 0] * scale + offset,
            bands.upper[:, 0, :, 0] * scale + offset,
        )

    def assess(
        self, t_s: np.ndarray, values: np.ndarray, *, limit: float, op: Direction = ">="
    ) -> RiskAssessment | None:
        fc = self.forecast(t_s, values)
        if fc is None:
            return None if self.short_history is None else self.short_history.assess(t_s, values, limit=limit, op=op)
        _, y = finite_series(t_s, values)
        last = float(y[-1])
        predicted = float(fc.predicted[-1])
        lower, upper = fc.band(fc.levels[-1])
        z = Z_95 if math.isclose(fc.levels[-1], 0.95) else _z(fc.levels[-1])
        sd = max(float(upper[-1] - lower[-1]) / (2 * z), 0.0)
        return RiskAssessment(
            self.name,
            last,
            (predicted - last) / (self.horizon_s / 60.0),
            self.horizon_s,
            predicted,
            sd,
            limit,
            op,
            self._probability(fc, limit, op),
            crossing_minutes(last, fc.horizons_s, fc.predicted, limit, op),
        )

    def _probability(self, fc: ServedForecast, limit: float, op: Direction) -> float:
        """P(past the limit at the furthest horizon): the calibration residuals as the error distribution."""
        scores = self.forecaster.calibration_scores_
        assert scores is not None
        scale = fc.scale
        outcomes = fc.predicted[-1] + scale * scores[:, -1, 0]
        past = outcomes >= limit if op == ">=" else outcomes <= limit
        return float(np.mean(past))


def crossing_minutes(
    last: float, horizons_s: np.ndarray, predicted: np.ndarray, limit: float, op: Direction
) -> float | None:
    """Minutes until the path (now: ``last``; at ``horizons_s``: ``predicted``, straight between) first reaches
    ``limit``; 0 when already past it, None when it stays inside it up to the furthest horizon."""
    sign = 1.0 if op == ">=" else -1.0
    times = np.concatenate([[0.0], np.asarray(horizons_s, dtype=float)]) / 60.0
    path = sign * (np.concatenate([[last], np.asarray(predicted, dtype=float)]) - limit)  # >= 0: past the limit
    if path[0] >= 0:
        return 0.0
    for i in range(1, path.size):
        if path[i] >= 0:
            return float(times[i - 1] + (times[i] - times[i - 1]) * (-path[i - 1]) / (path[i] - path[i - 1]))
    return None


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2)
