"""Known answers of the trend risk model and the risk-model registry."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.warning.risk import TrendModel, get_risk_model, list_risk_models


def ramp(
    minutes: float = 5.0,
    every_s: float = 10.0,
    start: float = 0.5,
    per_min: float = 0.05,
    noise: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    t = 1_800_000_000.0 + np.arange(0.0, minutes * 60 + 1e-9, every_s)
    y = start + per_min * (t - t[0]) / 60.0 + np.random.default_rng(seed).normal(0.0, noise, t.size)
    return t, y


def test_exact_line_known_answer() -> None:
    t, y = ramp()  # 0.50 -> 0.75 % over 5 min
    risk = TrendModel(window_s=300, horizon_s=600, min_sd=0.01).assess(t, y, limit=1.0)
    assert risk is not None and risk.model == "trend"
    assert risk.rate_per_min == pytest.approx(0.05) and risk.value == pytest.approx(0.75)
    assert risk.predicted == pytest.approx(0.75 + 0.05 * 10)  # 1.25 % at +10 min
    assert risk.minutes_to_limit == pytest.approx(5.0)
    assert risk.predicted_sd == pytest.approx(0.01)  # the floor: a perfect line has no residual
    assert risk.probability > 0.999 and not risk.past_limit


def test_flat_below_the_limit_is_no_risk() -> None:
    t, y = ramp(per_min=0.0, start=0.35, noise=0.01)
    risk = TrendModel().assess(t, y, limit=1.0)
    assert risk.probability < 1e-6


def test_noise_widens_the_interval_and_lowers_confidence() -> None:
    t, y = ramp(per_min=0.03, noise=0.0)
    noisy_t, noisy_y = ramp(per_min=0.03, noise=0.15, seed=3)
    model = TrendModel(horizon_s=300)
    clean, noisy = model.assess(t, y, limit=0.95), model.assess(noisy_t, noisy_y, limit=0.95)
    assert noisy.predicted_sd > 5 * clean.predicted_sd
    assert 0.05 < noisy.probability < 0.95  # unsure either way


def test_minimum_limit_falling_oxygen() -> None:
    t, y = ramp(start=20.6, per_min=-0.1)
    risk = TrendModel(horizon_s=600).assess(t, y, limit=19.5, op="<=")
    assert risk.minutes_to_limit == pytest.approx((20.1 - 19.5) / 0.1)
    assert risk.probability > 0.99
    assert TrendModel().assess(t, y, limit=19.5, op=">=").probability < 1e-6  # a maximum far above


def test_past_limit_and_moving_away() -> None:
    t, y = ramp(start=1.2, per_min=0.01)
    assert TrendModel().assess(t, y, limit=1.0).minutes_to_limit == 0.0
    t, y = ramp(start=0.9, per_min=-0.05)
    assert TrendModel().assess(t, y, limit=1.0).minutes_to_limit is None


def test_only_the_window_counts_and_short_histories_say_nothing() -> None:
    t, y = ramp(minutes=20, per_min=0.0)
    y[-30:] += 0.02 * np.arange(30)  # the last 5 min rise 0.12 %/min (a reading every 10 s)
    risk = TrendModel(window_s=290).assess(t, y, limit=2.0)
    assert risk.rate_per_min == pytest.approx(0.12)
    assert TrendModel(min_samples=5).assess(t[:4], y[:4], limit=1.0) is None
    assert TrendModel(min_span_s=120).assess(t[:12], y[:12], limit=1.0) is None  # 110 s of history
    assert TrendModel(min_span_s=120).assess(t[:13], y[:13], limit=1.0) is not None
    assert TrendModel().assess(np.array([]), np.array([]), limit=1.0) is None
    assert TrendModel().assess(np.full(6, 1e9), np.arange(6.0), limit=1.0) is None  # no spread in time


def test_bad_input_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="equal length"):
        TrendModel().assess(np.arange(5.0), np.arange(4.0), limit=1.0)
    with pytest.raises(ValueError, match="horizon_s must be > 0"):
        TrendModel(horizon_s=0)
    with pytest.raises(ValueError, match="min_samples"):
        TrendModel(min_samples=2)
    with pytest.raises(ValueError, match="min_span_s"):
        TrendModel(window_s=60, min_span_s=120)


def test_registry() -> None:
    assert "trend" in list_risk_models()
    assert get_risk_model("trend", horizon_s=120).horizon_s == 120
    with pytest.raises(ValueError, match="unknown risk model 'lstm' — choose one of: learned, trend"):
        get_risk_model("lstm")
