"""Known answers of the accelerometer motion classifier on generated tag signals."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.services.twin.motion import (
    MotionLimits,
    MotionReading,
    MotionState,
    classify_motion,
    generate_accel,
)

RATE = 50.0


def test_walking_is_moving() -> None:
    reading = classify_motion(generate_accel("walking", seconds=10, rate_hz=RATE), RATE)
    assert isinstance(reading, MotionReading)
    assert reading.state == MotionState.MOVING
    assert reading.activity_g > 0.1
    assert reading.still_for_s == 0.0
    assert "moving" in reading.reason


def test_still_reports_duration() -> None:
    reading = classify_motion(generate_accel("still", seconds=10, rate_hz=RATE), RATE)
    assert reading.state == MotionState.STILL
    assert reading.still_for_s == pytest.approx(10.0, abs=1.0)
    assert reading.activity_g < 0.05
    assert reading.peak_g == pytest.approx(1.0, abs=0.1)


def test_fall_is_detected() -> None:
    accel = generate_accel("fall", seconds=8.4, rate_hz=RATE)  # walk 2.8 s, fall 0.4 s, lie 5.2 s
    reading = classify_motion(accel, RATE)
    assert reading.state == MotionState.FALL_OR_FAINT
    assert "impact" in reading.reason and "free fall" in reading.reason
    assert reading.peak_g > 2.5
    assert reading.still_for_s == pytest.approx(5.2, abs=1.0)


@pytest.mark.parametrize("seed", range(5))
def test_fall_detected_for_several_seeds(seed: int) -> None:
    accel = generate_accel("fall", seconds=8.4, rate_hz=RATE, seed=seed)
    assert classify_motion(accel, RATE).state == MotionState.FALL_OR_FAINT


def test_faint_limit_counts_stillness_before_the_chunk() -> None:
    accel = generate_accel("faint", seconds=30, rate_hz=RATE)
    limits = MotionLimits(faint_still_s=60.0)
    fainted = classify_motion(accel, RATE, limits, still_before_s=40.0)
    assert fainted.state == MotionState.FALL_OR_FAINT
    assert fainted.still_for_s == pytest.approx(70.0, abs=1.0)
    assert "faint" in fainted.reason and "before this chunk" in fainted.reason
    lying = classify_motion(accel, RATE, limits, still_before_s=0.0)
    assert lying.state == MotionState.STILL
    assert lying.still_for_s == pytest.approx(30.0, abs=1.0)


def test_faint_within_one_chunk() -> None:
    accel = generate_accel("faint", seconds=12, rate_hz=RATE)
    assert classify_motion(accel, RATE, MotionLimits(faint_still_s=10.0)).state == MotionState.FALL_OR_FAINT


def test_impact_limit_above_spike_turns_fall_into_still() -> None:
    accel = generate_accel("fall", seconds=8.4, rate_hz=RATE)
    reading = classify_motion(accel, RATE, MotionLimits(fall_impact_g=6.0))
    assert reading.state == MotionState.STILL


def test_noise_value_above_gait_turns_walking_into_still() -> None:
    accel = generate_accel("walking", seconds=10, rate_hz=RATE)
    reading = classify_motion(accel, RATE, MotionLimits(noise_g=0.5))
    assert reading.state == MotionState.STILL
    assert reading.still_for_s == pytest.approx(10.0, abs=1.0)


def _with_spike(accel: np.ndarray, at: int, peak: float = 3.5) -> np.ndarray:
    out = accel.copy()
    out[at - 2 : at + 3] = np.array([0.5, 0.8, 1.0, 0.8, 0.5])[:, None] * np.array([0.0, 0.0, peak])
    return out


def test_hard_landing_without_free_fall_is_not_a_fall() -> None:
    accel = _with_spike(generate_accel("walking", seconds=8, rate_hz=RATE), at=150)
    reading = classify_motion(accel, RATE)
    assert reading.state == MotionState.MOVING
    assert reading.peak_g > 3.0


def test_hard_landing_then_sitting_still_is_not_a_fall() -> None:
    accel = generate_accel("still", seconds=8, rate_hz=RATE)
    accel[:150] = generate_accel("walking", seconds=3, rate_hz=RATE)
    reading = classify_motion(_with_spike(accel, at=150), RATE)
    assert reading.state == MotionState.STILL


def test_free_fall_and_impact_then_walking_is_not_a_fall() -> None:
    accel = generate_accel("walking", seconds=8, rate_hz=RATE)
    accel[135:148] = [0.0, 0.0, 0.2]
    reading = classify_motion(_with_spike(accel, at=150), RATE)
    assert reading.state == MotionState.MOVING


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"noise_g": 0.0}, r"MotionLimits\.noise_g must be a positive"),
        ({"faint_still_s": -1.0}, r"MotionLimits\.faint_still_s must be a positive"),
        ({"window_s": float("nan")}, r"MotionLimits\.window_s must be a positive"),
        ({"freefall_g": 1.2}, r"MotionLimits\.freefall_g must be below 1 g.*use e\.g\. 0\.5"),
        ({"fall_impact_g": 0.9}, r"MotionLimits\.fall_impact_g must be above 1 g.*use e\.g\. 2\.5"),
    ],
)
def test_limits_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MotionLimits(**kwargs)


def test_bad_inputs_raise_helpful_errors() -> None:
    good = generate_accel("still", seconds=3, rate_hz=RATE)
    with pytest.raises(ValueError, match=r"shape \(N, 3\).*got \(150, 2\)"):
        classify_motion(good[:, :2], RATE)
    nan = good.copy()
    nan[10, 1] = np.nan
    with pytest.raises(ValueError, match=r"1 sample\(s\) with NaN or inf; drop or interpolate"):
        classify_motion(nan, RATE)
    with pytest.raises(ValueError, match=r"has 20 samples but one window needs 50.*send at least"):
        classify_motion(good[:20], RATE)
    with pytest.raises(ValueError, match=r"rate_hz must be a positive sample rate.*got 0"):
        classify_motion(good, 0)
    with pytest.raises(ValueError, match=r"still_before_s must be >= 0"):
        classify_motion(good, RATE, still_before_s=-1.0)


def test_generator_shapes_and_errors() -> None:
    for kind in ("walking", "still", "fall", "faint"):
        accel = generate_accel(kind, seconds=6, rate_hz=25.0, seed=1)
        assert accel.shape == (150, 3)
        assert np.isfinite(accel).all()
    still = generate_accel("still", seconds=2, noise_g=0.0)
    np.testing.assert_allclose(np.linalg.norm(still, axis=1), 1.0)
    np.testing.assert_array_equal(generate_accel("fall", seconds=6, seed=3), generate_accel("fall", seconds=6, seed=3))
    with pytest.raises(ValueError, match="unknown kind"):
        generate_accel("running", seconds=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a fall needs about"):
        generate_accel("fall", seconds=0.5)
