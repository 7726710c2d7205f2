"""The LightGBM forecaster: nails a deterministic series, calibrated bands on noise, save/load, errors, real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mineguard.evaluation.forecasting import forecast_errors, interval_scores
from mineguard.warning.forecast import get_forecaster, has_intervals, load_forecaster
from mineguard.warning.forecast_baselines import Persistence
from mineguard.warning.forecast_lgbm import LightGBMForecaster
from mineguard.warning.series import SensorSeries, load_sensor_csv, resample
from mineguard.warning.series_windows import TimeSplit, make_windows, split_by_time

T0 = 1_660_000_020.0
FAST = {"n_estimators": 300, "learning_rate": 0.1, "min_child_samples": 10, "early_stopping_rounds": 20}


def split_of(values: np.ndarray, *, input_steps: int = 24, horizons: tuple[int, ...] = (1, 10)) -> TimeSplit:
    names = ("co", "no2")[: values.shape[1]]
    grid = resample(SensorSeries(T0 + 30.0 * np.arange(values.shape[0]), values, names))
    return split_by_time(make_windows(grid, input_steps=input_steps, horizons=horizons, targets=["co"]))


@pytest.fixture(scope="module")
def sine() -> TimeSplit:
    phase = 2 * np.pi * np.arange(3000) / 40.0
    return split_of(np.column_stack([np.sin(phase), np.cos(phase)]))


@pytest.fixture(scope="module")
def fitted(sine: TimeSplit) -> LightGBMForecaster:
    return LightGBMForecaster(**FAST).fit(sine.train, sine.val)


def test_nearly_nails_a_deterministic_sine(sine: TimeSplit, fitted: LightGBMForecaster) -> None:
    predicted = fitted.predict(sine.test)
    model_mae = forecast_errors(sine.test.y, predicted).mae[:, 0]
    persistence_mae = forecast_errors(sine.test.y, Persistence().predict(sine.test)).mae[:, 0]
    assert predicted.shape == (len(sine.test), 2, 1)
    assert (model_mae < 0.1 * persistence_mae).all()  # 1 and 10 steps ahead of a 40-step sine
    assert fitted.training_["windows"]["calibration"] >= 20 and len(fitted.training_["best_iterations"]) == 2


def test_conformal_bands_cover_noise_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(0)
    split = split_of(rng.normal(0.0, 1.0, (6000, 1)), input_steps=12, horizons=(1, 3))  # iid: exchangeable
    model = LightGBMForecaster(**FAST, calibration_fraction=0.9).fit(split.train, split.val)
    bands = model.predict_interval(split.test)
    assert bands.levels == (0.8, 0.95) and bands.lower.shape == (2, len(split.test), 2, 1)
    for level in bands.levels:
        scores = interval_scores(split.test.y, *bands.at(level))
        np.testing.assert_allclose(scores.coverage, level, atol=0.05)
    wide, narrow = (interval_scores(split.test.y, *bands.at(v)).mean_width for v in (0.95, 0.8))
    assert (wide > narrow).all()
    only = model.predict_interval(split.test, levels=[0.5])
    assert only.levels == (0.5,) and np.all(only.lower <= model.predict(split.test)[None] + 1e-9)


def test_save_and_load_give_the_same_forecasts(sine: TimeSplit, fitted: LightGBMForecaster, tmp_path: Path) -> None:
    loaded = LightGBMForecaster.load(fitted.save(tmp_path / "co.json"))
    np.testing.assert_allclose(loaded.predict(sine.test), fitted.predict(sine.test))
    np.testing.assert_allclose(loaded.predict_interval(sine.test).upper, fitted.predict_interval(sine.test).upper)
    assert loaded.config == fitted.config and has_intervals(loaded) and not has_intervals(Persistence())


def test_bad_files_say_what_is_wrong(fitted: LightGBMForecaster, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such forecaster file"):
        LightGBMForecaster.load(tmp_path / "none.json")
    (tmp_path / "text.json").write_text("not json")
    with pytest.raises(ValueError, match="not JSON"):
        LightGBMForecaster.load(tmp_path / "text.json")
    (tmp_path / "other.json").write_text(json.dumps({"forecaster": "gbm", "format": 1}))
    with pytest.raises(ValueError, match="retrain and save it"):
        LightGBMForecaster.load(tmp_path / "other.json")
    raw = json.loads(fitted.save(tmp_path / "newer.json").read_text())
    raw["config"]["warp_drive"] = 1
    (tmp_path / "newer.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="unknown config keys"):
        LightGBMForecaster.load(tmp_path / "newer.json")


def test_errors(sine: TimeSplit, fitted: LightGBMForecaster) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        LightGBMForecaster().predict(sine.test)
    with pytest.raises(RuntimeError, match="not fitted"):
        LightGBMForecaster().predict_interval(sine.test)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        fitted.predict_interval(sine.test, levels=[80, 95])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        LightGBMForecaster(levels=(0.8, 1.0))
    with pytest.raises(ValueError, match="calibration_fraction"):
        LightGBMForecaster(calibration_fraction=1.0)
    other = split_of(np.column_stack([np.arange(300.0), np.ones(300)]), horizons=(1, 5))
    with pytest.raises(ValueError, match="horizons"):
        fitted.predict(other.test)
    tiny = split_of(np.random.default_rng(0).normal(size=(80, 2)))
    with pytest.raises(ValueError, match="too few windows"):
        LightGBMForecaster(**FAST).fit(tiny.train, tiny.val)


def test_registered_with_keyword_arguments(sine: TimeSplit) -> None:
    model = get_forecaster("lightgbm", n_estimators=5, features={"levels": True}, levels=[0.9])
    assert model.name == "lightgbm" and model.config.features.levels and model.config.levels == (0.9,)


def test_beats_persistence_on_the_real_quarry_logger(shared_data: Path) -> None:
    """Dig_IT (issue #18): temperature is smooth (LightGBM wins by far), CO at +1 min wins a little;
    the bands cover about as promised on the later, unseen test week. Train thinned to stay fast."""
    series = load_sensor_csv(shared_data / "sensors/digit_air_quality/D-4-It-aug-sep.csv")
    grid = resample(series, step_s=30.0, max_fill_s=90.0)
    windows = make_windows(grid, input_steps=60, horizons=(2,), targets=["temperature", "co"])
    split = split_by_time(windows)
    test = split.test.thin(2000)
    model = LightGBMForecaster(n_estimators=300, learning_rate=0.1).fit(split.train.thin(6000), split.val)
    ratio = forecast_errors(test.y, model.predict(test)).mae / forecast_errors(test.y, Persistence().predict(test)).mae
    assert ratio[0, 0] < 0.8 and ratio[0, 1] < 1.0, ratio
    coverage = interval_scores(test.y, *model.predict_interval(test).at(0.8)).coverage
    assert ((coverage > 0.7) & (coverage < 0.9)).all(), coverage


def test_without_val_the_latest_training_windows_stop_and_calibrate(sine: TimeSplit) -> None:
    model = LightGBMForecaster(**{**FAST, "n_estimators": 20}).fit(sine.train)
    used = model.training_["windows"]
    assert used["fit"] < 0.75 * len(sine.train) and used["calibration"] >= 20
    assert model.predict_interval(sine.test).lower.shape == (2, len(sine.test), 2, 1)


def test_load_forecaster_dispatches_on_the_saved_name(fitted: LightGBMForecaster, tmp_path: Path) -> None:
    assert isinstance(load_forecaster(fitted.save(tmp_path / "m.json")), LightGBMForecaster)
    (tmp_path / "gbm.json").write_text(json.dumps({"forecaster": "gbm"}))
    with pytest.raises(ValueError, match="a 'gbm' forecaster; these load from a file: lightgbm"):
        load_forecaster(tmp_path / "gbm.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a saved forecaster"):
        load_forecaster(tmp_path / "list.json")
    with pytest.raises(ValueError, match="no such forecaster file"):
        load_forecaster(tmp_path / "none.json")
