"""Forecasters: known answers of persistence, EWMA and trend; GBM and the Transformer learn a noisy sine
better than persistence; every registered forecaster returns (N, H, K)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from mineguard.evaluation.forecasting import forecast_errors
from mineguard.warning.forecast import get_forecaster, list_forecasters
from mineguard.warning.forecast_baselines import EWMA, LagGBM, LinearTrend, Persistence, ewma_weights, lag_features
from mineguard.warning.forecast_lgbm import LightGBMForecaster
from mineguard.warning.forecast_transformer import SensorTransformer, TransformerForecaster
from mineguard.warning.series import SensorSeries, resample
from mineguard.warning.series_windows import TimeSplit, Windows, make_windows, split_by_time

T0 = 1_660_000_020.0


def windows_of(rows: list[list[float]], horizons: tuple[int, ...] = (1, 3)) -> Windows:
    """One-sensor windows whose inputs are ``rows``; targets are zeros (unused by the known answers)."""
    x = np.array(rows, dtype=float)[:, :, None]
    n = x.shape[0]
    return Windows(x, np.zeros((n, len(horizons), 1)), T0 + 30.0 * np.arange(n), 30.0, horizons, ("co",), (0,))


def test_persistence_known_answer() -> None:
    predicted = Persistence().fit(windows_of([[1, 2, 3]])).predict(windows_of([[1, 2, 3], [5, 4, 7]]))
    np.testing.assert_array_equal(predicted[:, :, 0], [[3, 3], [7, 7]])


def test_ewma_known_answers() -> None:
    np.testing.assert_allclose(ewma_weights(4, 0.5), [0.125, 0.125, 0.25, 0.5])
    assert ewma_weights(30, 0.1).sum() == pytest.approx(1.0)
    windows = windows_of([[0, 0, 0, 1], [2, 2, 2, 2]])
    np.testing.assert_allclose(EWMA(alpha=0.5).predict(windows)[:, :, 0], [[0.5, 0.5], [2.0, 2.0]])
    np.testing.assert_allclose(EWMA(alpha=1.0).predict(windows), Persistence().predict(windows))
    with pytest.raises(ValueError, match="alpha"):
        EWMA(alpha=0.0)


def test_ewma_picks_alpha_on_training_windows() -> None:
    rng = np.random.default_rng(0)
    noisy_level = rng.normal(5.0, 1.0, (500, 21))  # iid noise about a level: of the grid, 0.1 averages 20 best
    walk = np.cumsum(rng.normal(0.0, 1.0, (500, 21)), axis=1)  # a random walk: the last value is best
    for series, expected in ((noisy_level, 0.1), (walk, 1.0)):
        x = series[:, :20, None]
        windows = Windows(x, series[:, 20:, None], T0 + 30.0 * np.arange(500), 30.0, (1,), ("co",), (0,))
        assert EWMA().fit(windows).alphas_.tolist() == [expected]


def test_trend_known_answers() -> None:
    line = windows_of([[2.0, 2.5, 3.0, 3.5, 4.0]], horizons=(1, 4))
    np.testing.assert_allclose(LinearTrend().predict(line)[0, :, 0], [4.5, 6.0])
    bend = windows_of([[0.0, 0.0, 0.0, 1.0, 2.0]], horizons=(1, 2))
    np.testing.assert_allclose(LinearTrend(steps=2).predict(bend)[0, :, 0], [3.0, 4.0])
    kink = windows_of([[0.0, 0.0, 0.0, 0.0, 1.0]], horizons=(1, 2))  # last 3: slope 1/2, 5/6 at the origin
    np.testing.assert_allclose(LinearTrend(steps=3).predict(kink)[0, :, 0], [4 / 3, 11 / 6])
    with pytest.raises(ValueError, match="at least 2"):
        LinearTrend(steps=1)


def test_lag_features_shape_and_levels() -> None:
    windows = windows_of([[float(i) for i in range(20)]])
    plain, with_levels = lag_features(windows), lag_features(windows, levels=True)
    # lags 1, 2, 4, 8, 16 fit a window of 20; mean, std, min, max; slope; sin, cos of the time of day
    assert plain.shape == (1, 5 + 4 + 1 + 2) and with_levels.shape == (1, 13) and with_levels[0, 0] == 19.0
    np.testing.assert_allclose(plain[0, :5], [1, 2, 4, 8, 16])
    assert plain[0, 9] == pytest.approx(1.0)  # slope over the last 10 steps


def sine_split(n: int = 1600, seed: int = 0) -> TimeSplit:
    """A 40-step sine plus noise and a noisy cosine companion on a 30 s clock; 24-step inputs, horizons 1 and 10."""
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.arange(n) / 40.0
    values = np.column_stack([np.sin(phase) + rng.normal(0, 0.1, n), np.cos(phase) + rng.normal(0, 0.1, n)])
    grid = resample(SensorSeries(T0 + 30.0 * np.arange(n), values, ("co", "no2")))
    return split_by_time(make_windows(grid, input_steps=24, horizons=(1, 10), targets=["co"]))


@pytest.fixture(scope="module")
def sine() -> TimeSplit:
    return sine_split()


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch and OpenMP thread (the CI machine is shared), restored afterwards."""
    threads = torch.get_num_threads()
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


def mae(split: TimeSplit, predicted: np.ndarray) -> np.ndarray:
    return forecast_errors(split.test.y, predicted).mae[:, 0]  # (H,)


def test_gbm_beats_persistence_on_a_sine(sine: TimeSplit, one_thread: None) -> None:
    model = LagGBM(max_iter=60).fit(sine.train, sine.val)
    predicted = model.predict(sine.test)
    assert predicted.shape == (len(sine.test), 2, 1)
    model_mae, persistence_mae = mae(sine, predicted), mae(sine, Persistence().predict(sine.test))
    assert model_mae[1] < 0.5 * persistence_mae[1]  # 5 minutes ahead, half a sine period away


def test_transformer_beats_persistence_on_a_sine(sine: TimeSplit, one_thread: None) -> None:
    model = TransformerForecaster(d_model=32, patch_steps=6, epochs=8, patience=4, seed=0).fit(sine.train, sine.val)
    predicted = model.predict(sine.test)
    assert predicted.shape == (len(sine.test), 2, 1) and 0 <= model.best_epoch_ < 8
    model_mae, persistence_mae = mae(sine, predicted), mae(sine, Persistence().predict(sine.test))
    assert model_mae[1] < 0.5 * persistence_mae[1]
    assert len(model.history_) >= model.best_epoch_ + 1


def test_transformer_is_seeded_and_fits_without_val(one_thread: None) -> None:
    split = sine_split(n=400)
    first = TransformerForecaster(patch_steps=8, epochs=2, seed=3).fit(split.train).predict(split.test)
    again = TransformerForecaster(patch_steps=8, epochs=2, seed=3).fit(split.train).predict(split.test)
    np.testing.assert_array_equal(first, again)


def test_sensor_transformer_shapes() -> None:
    model = SensorTransformer(7, (5, 2), 3, input_steps=25, patch_steps=10, d_model=16, n_heads=2)
    out = model(torch.randn(4, 25, 7), torch.randn(4, 2, 2))  # 2 patches; the oldest 5 steps are unused
    assert out.shape == (4, 3, 2)
    with pytest.raises(ValueError, match="patch_steps"):
        SensorTransformer(2, (0,), 1, input_steps=5, patch_steps=6)


@pytest.mark.parametrize("name", list_forecasters())
def test_every_forecaster_predicts_n_h_k(name: str, one_thread: None) -> None:
    split = sine_split(n=600)
    kwargs = {
        "transformer": {"epochs": 1, "patch_steps": 8},
        "gbm": {"max_iter": 5},
        "lightgbm": {"n_estimators": 5, "min_child_samples": 5},
    }.get(name, {})
    model = get_forecaster(name, **kwargs)
    predicted = model.fit(split.train, split.val).predict(split.test)
    assert model.name == name and predicted.shape == (len(split.test), 2, 1) and np.isfinite(predicted).all()
    assert model.predict(split.test.select(np.zeros(len(split.test), dtype=bool))).shape == (0, 2, 1)


@pytest.mark.parametrize("model", [EWMA(), LagGBM(), TransformerForecaster(), LightGBMForecaster()])
def test_predict_before_fit_says_so(model: object, sine: TimeSplit) -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(sine.test)  # type: ignore[attr-defined]


def test_unknown_forecaster() -> None:
    with pytest.raises(ValueError, match="choose one of: ewma, gbm, lightgbm, persistence, transformer, trend"):
        get_forecaster("prophet")
