"""``lightgbm``: LightGBM on window features, one booster per (target sensor, horizon), with conformal bands.

Each booster predicts the change y(t + h) - y(t) from the last reading (``forecast_features``:
differences, lags, rolling means / std / mean absolute change over several spans of every input
sensor, cross-sensor jump score, time of day), with the L1 objective by default: the changes are
heavy-tailed (dust spikes) and the figure of merit is MAE, whose minimiser is the conditional median.

The validation windows are split by time (never at random: neighbouring windows overlap):

- the earlier part (``1 - calibration_fraction``) stops the boosting early (LightGBM's
  ``early_stopping`` callback on the validation L1);
- the later part calibrates the prediction intervals by split conformal prediction on scaled
  signed residuals (``forecast_intervals``): score = residual / s, where s is the target sensor's
  mean absolute one-step change over the last ``scale_steps`` inputs, floored at ``scale_floor``
  (50 %) of its training median: a flat stretch (humidity logs whole percents and sits still for
  minutes) must not give a near-zero scale, whose huge scores then blow up every other band.

Without (enough) validation windows the latest 30 % of the training windows play that part. The model saves
to one JSON file (LightGBM's own text format per booster, no pickle) and loads back for serving.
Ke et al. 2017, "LightGBM: A highly efficient gradient boosting decision tree", NeurIPS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal

import lightgbm as lgb
import numpy as np

from mineguard.warning.forecast_baselines import check_fitted
from mineguard.warning.forecast_features import FeatureSpec, window_features
from mineguard.warning.forecast_intervals import PredictionIntervals, SplitConformal, check_levels
from mineguard.warning.lgbm_params import booster_params
from mineguard.warning.series_windows import Windows, split_by_time

FORMAT = 1
MIN_CALIBRATION = 20  # windows; fewer cannot place a 95 % band


@dataclass(frozen=True)
class LightGBMConfig:
    """Hyper-parameters (LightGBM's names) and the protocol around them."""

    objective: Literal["l1", "l2", "huber"] = "l1"
    n_estimators: int = 2000
    learning_rate: float = 0.03
    num_leaves: int = 15
    min_child_samples: int = 200
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0
    early_stopping_rounds: int = 100
    calibration_fraction: float = 0.5
    scale_steps: int = 20
    scale_floor: float = 0.5
    scaled_target: bool = False
    levels: tuple[float, ...] = (0.8, 0.95)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    seed: int = 0
    num_threads: int = 1

    def __post_init__(self) -> None:
        check_levels(self.levels)
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError(f"calibration_fraction must be in (0, 1), got {self.calibration_fraction}")
        if self.n_estimators < 1 or self.learning_rate <= 0 or self.scale_steps < 2 or self.scale_floor <= 0:
            raise ValueError("need n_estimators >= 1, learning_rate > 0, scale_steps >= 2 and scale_floor > 0")

    def params(self) -> dict[str, object]:
        return booster_params(self, objective=self.objective)


def local_scale(windows: Windows, steps: int) -> np.ndarray:
    """(N, 1, K) mean absolute one-step change of each target sensor over the last ``steps`` inputs."""
    x = windows.x[:, -min(steps, windows.input_steps) :, list(windows.targets)]
    if x.shape[1] < 2:
        return np.ones((len(windows), 1, len(windows.targets)))
    return np.abs(np.diff(x, axis=1)).mean(axis=1)[:, None, :]


def _model_text(booster: lgb.Booster) -> str:
    """LightGBM's text format of ``booster``, cut at its early-stopping iteration."""
    return booster.model_to_string(num_iteration=booster.best_iteration or None)


class LightGBMForecaster:
    """See the module docstring. ``predict`` (N, H, K); ``predict_interval`` bands at the given levels."""

    name = "lightgbm"

    def __init__(self, config: LightGBMConfig | None = None, **kwargs: object) -> None:
        if isinstance(kwargs.get("features"), dict):
            kwargs["features"] = FeatureSpec(**kwargs["features"])  # type: ignore[arg-type]
        if isinstance(kwargs.get("levels"), list):
            kwargs["levels"] = tuple(kwargs["levels"])  # type: ignore[arg-type]
        self.config = config or LightGBMConfig(**kwargs)  # type: ignore[arg-type]
        self.boosters_: list[list[lgb.Booster]] | None = None
        self.scale_floor_: np.ndarray | None = None  # (K,)
        self.calibration_scores_: np.ndarray | None = None  # (N_cal, H, K) scaled signed residuals
        self.layout_: dict[str, object] = {}  # names, targets, horizons, step_s, input_steps of the training windows
        self.training_: dict[str, object] = {}

    # --- fit ----------------------------------------------------------------------------------

    def _split_holdout(self, train: Windows, val: Windows | None) -> tuple[Windows, Windows, Windows]:
        c = self.config.calibration_fraction
        if val is None or len(val) < 2 * MIN_CALIBRATION:
            parts = split_by_time(train, fractions=(0.7, 0.3 * (1 - c), 0.3 * c))
            return parts.train, parts.val, parts.test
        cut = float(np.quantile(val.t_origin_s, 1.0 - c))  # the later part calibrates
        parts = split_by_time(val, boundaries=(float(val.t_first_s.min()), cut))
        return train, parts.val, parts.test

    def fit(self, train: Windows, val: Windows | None = None) -> LightGBMForecaster:
        fit_on, stop_on, calibrate_on = self._split_holdout(train, val)
        if len(fit_on) == 0 or len(stop_on) == 0 or len(calibrate_on) < MIN_CALIBRATION:
            raise ValueError(
                f"too few windows to fit, stop early and calibrate ({len(fit_on)}, {len(stop_on)}, "
                f"{len(calibrate_on)}; need >= {MIN_CALIBRATION} to calibrate) — use a longer series"
            )
        spec, params = self.config.features, self.config.params()
        features, stop_features = window_features(fit_on, spec), window_features(stop_on, spec)
        self.scale_floor_ = np.maximum(
            self.config.scale_floor * np.median(local_scale(fit_on, self.config.scale_steps), axis=0)[0], 1e-9
        )
        change = fit_on.y - fit_on.last_values[:, None, :]
        stop_change = stop_on.y - stop_on.last_values[:, None, :]
        weight = stop_weight = None
        if self.config.scaled_target:  # learn change / s weighted by s: the same L1 loss in sensor units
            weight, stop_weight = self._scale(fit_on), self._scale(stop_on)
            change, stop_change = change / weight, stop_change / stop_weight
        self.layout_ = {
            "names": list(train.names),
            "targets": list(train.targets),
            "horizons": list(train.horizons),
            "step_s": float(train.step_s),
            "input_steps": int(train.input_steps),
        }
        self.boosters_, best = [], []
        for k in range(len(train.targets)):
            row = []
            for h in range(len(train.horizons)):
                data = lgb.Dataset(features, change[:, h, k], weight=None if weight is None else weight[:, 0, k])
                stop = lgb.Dataset(
                    stop_features,
                    stop_change[:, h, k],
                    weight=None if stop_weight is None else stop_weight[:, 0, k],
                    reference=data,
                )
                booster = lgb.train(
                    params,
                    data,
                    num_boost_round=self.config.n_estimators,
                    valid_sets=[stop],
                    callbacks=[lgb.early_stopping(self.config.early_stopping_rounds, verbose=False)],
                )
                best.append(int(booster.best_iteration or booster.current_iteration()))
                row.append(booster)
            self.boosters_.append(row)
        residuals = calibrate_on.y - self.predict(calibrate_on)
        self.calibration_scores_ = residuals / self._scale(calibrate_on)
        self.training_ = {
            "windows": {"fit": len(fit_on), "early_stopping": len(stop_on), "calibration": len(calibrate_on)},
            "best_iterations": best,
        }
        return self

    # --- predict ------------------------------------------------------------------------------

    def _check_layout(self, windows: Windows) -> None:
        check_fitted(self, "boosters_")
        want = self.layout_
        got = {
            "names": list(windows.names),
            "targets": list(windows.targets),
            "horizons": list(windows.horizons),
            "input_steps": int(windows.input_steps),
        }
        bad = [key for key, value in got.items() if want[key] != value]
        if bad:
            raise ValueError(
                f"windows differ from the training windows in {', '.join(bad)}: "
                + "; ".join(f"{key} {got[key]} != {want[key]}" for key in bad)
                + " — cut the windows as for training"
            )

    def _scale(self, windows: Windows) -> np.ndarray:
        assert self.scale_floor_ is not None
        return np.maximum(local_scale(windows, self.config.scale_steps), self.scale_floor_[None, None, :])

    def predict(self, windows: Windows) -> np.ndarray:
        """(N, H, K) forecasts in sensor units."""
        self._check_layout(windows)
        assert self.boosters_ is not None
        out = np.repeat(windows.last_values[:, None, :], len(windows.horizons), axis=1).astype(float)
        if len(windows) == 0:
            return out
        features = window_features(windows, self.config.features)
        scale = self._scale(windows) if self.config.scaled_target else np.ones((len(windows), 1, out.shape[2]))
        for k, row in enumerate(self.boosters_):
            for h, booster in enumerate(row):
                out[:, h, k] += scale[:, 0, k] * booster.predict(
                    features, num_iteration=booster.best_iteration or None, num_threads=self.config.num_threads
                )  # the config's threads: OpenMP's default (every core) spins for ~100 ms a call on a busy machine
        return out

    def predict_interval(self, windows: Windows, levels: Sequence[float] | None = None) -> PredictionIntervals:
        """Central intervals at ``levels`` (default the config's 0.8, 0.95): lower, upper (Q, N, H, K)."""
        levels = check_levels(self.config.levels if levels is None else levels)
        check_fitted(self, "calibration_scores_")
        assert self.calibration_scores_ is not None
        conformal = SplitConformal.fit(self.calibration_scores_, levels)
        return conformal.interval(self.predict(windows), scale=self._scale(windows))

    # --- one file -----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        check_fitted(self, "boosters_")
        assert self.boosters_ is not None and self.scale_floor_ is not None and self.calibration_scores_ is not None
        config = asdict(self.config)
        payload = {
            "forecaster": self.name,
            "format": FORMAT,
            "config": config,
            "layout": self.layout_,
            "training": self.training_,
            "scale_floor": self.scale_floor_.tolist(),
            "calibration_scores": self.calibration_scores_.tolist(),
            "boosters": [[_model_text(b) for b in row] for row in self.boosters_],
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload))
        return path

    @classmethod
    def load(cls, path: str | Path) -> LightGBMForecaster:
        """The forecaster saved at ``path``; ValueError naming the file and what is wrong with it."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"{path}: no such forecaster file — train one with `mineguard warn forecast --save`")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a saved forecaster (not JSON: {exc}) — retrain and save it") from None
        if not isinstance(raw, dict) or raw.get("forecaster") != cls.name or raw.get("format") != FORMAT:
            got = (raw.get("forecaster"), raw.get("format")) if isinstance(raw, dict) else None
            raise ValueError(f"{path}: holds {got}, this version reads ('{cls.name}', {FORMAT}) — retrain and save it")
        unknown = set(raw["config"]) - {f.name for f in fields(LightGBMConfig)}
        if unknown:
            raise ValueError(f"{path}: unknown config keys {sorted(unknown)} — written by a newer version?")
        model = cls(**raw["config"])
        model.layout_, model.training_ = raw["layout"], raw.get("training", {})
        model.scale_floor_ = np.asarray(raw["scale_floor"], dtype=float)
        model.calibration_scores_ = np.asarray(raw["calibration_scores"], dtype=float)
        model.boosters_ = [[lgb.Booster(model_str=text) for text in row] for row in raw["boosters"]]
        return model
