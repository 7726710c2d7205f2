"""Kalman box filter: known answers for initiate / predict / update, vectorised shapes."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.runtime.tracking.kalman import KalmanBoxFilter, xyah_to_xyxy, xyxy_to_xyah


def test_box_conversions_round_trip() -> None:
    xyxy = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 0.0, 8.0, 4.0]])
    xyah = xyxy_to_xyah(xyxy)
    np.testing.assert_allclose(xyah, [[30.0, 70.0, 0.4, 100.0], [4.0, 2.0, 2.0, 4.0]])
    np.testing.assert_allclose(xyah_to_xyxy(xyah), xyxy)


def test_initiate_known_covariance_scaled_by_height() -> None:
    kf = KalmanBoxFilter()
    mean, cov = kf.initiate(np.array([[30.0, 70.0, 0.4, 100.0]]))
    np.testing.assert_array_equal(mean, [[30.0, 70.0, 0.4, 100.0, 0, 0, 0, 0]])
    # std: 2·h/20 = 10 on x, y, h; 10·h/160 = 6.25 on their velocities; 1e-2 and 1e-5 on a, va
    expected = np.diag([100.0, 100.0, 1e-4, 100.0, 39.0625, 39.0625, 1e-10, 39.0625])
    np.testing.assert_allclose(cov[0], expected)


def test_predict_moves_by_velocity_and_grows_covariance() -> None:
    kf = KalmanBoxFilter()
    mean = np.array([[30.0, 70.0, 0.4, 100.0, 3.0, -2.0, 0.0, 1.0]])
    cov = np.eye(8)[None]
    new_mean, new_cov = kf.predict(mean, cov)
    np.testing.assert_allclose(new_mean, [[33.0, 68.0, 0.4, 101.0, 3.0, -2.0, 0.0, 1.0]])
    # F P Fᵀ with P = I: 2 on the position diagonal, 1 on velocity, 1 position-velocity; plus Q
    q = np.array([5.0, 5.0, 1e-2, 5.0, 0.625, 0.625, 1e-5, 0.625]) ** 2
    assert new_cov[0, 0, 0] == pytest.approx(2.0 + q[0])
    assert new_cov[0, 4, 4] == pytest.approx(1.0 + q[4])
    assert new_cov[0, 0, 4] == pytest.approx(1.0)
    np.testing.assert_allclose(new_cov[0], new_cov[0].T)


def test_update_with_the_predicted_measurement_keeps_mean_and_shrinks_covariance() -> None:
    kf = KalmanBoxFilter()
    mean, cov = kf.initiate(np.array([[30.0, 70.0, 0.4, 100.0]]))
    mean, cov = kf.predict(mean, cov)
    new_mean, new_cov = kf.update(mean, cov, mean[:, :4])
    np.testing.assert_allclose(new_mean, mean)
    assert np.all(np.diag(new_cov[0]) < np.diag(cov[0]))
    assert np.all(np.linalg.eigvalsh(new_cov[0]) > 0)


def test_update_scalar_known_answer() -> None:
    """Position x alone: predicted P = 100 + 39.0625 + 5² = 164.0625, R = 5² → x = 30 + P / (P + R) · 6."""
    kf = KalmanBoxFilter()
    mean, cov = kf.initiate(np.array([[30.0, 70.0, 0.4, 100.0]]))
    mean, cov = kf.predict(mean, cov)
    assert cov[0, 0, 0] == pytest.approx(100.0 + 39.0625 + 25.0)
    z = mean[:, :4].copy()
    z[0, 0] += 6.0
    new_mean, _ = kf.update(mean, cov, z)
    p = cov[0, 0, 0]
    assert new_mean[0, 0] == pytest.approx(30.0 + p / (p + 25.0) * 6.0)


def test_constant_velocity_is_learned_and_vectorised() -> None:
    kf = KalmanBoxFilter()
    starts = np.array([[100.0, 200.0, 0.5, 80.0], [400.0, 50.0, 0.3, 150.0]])
    velocity = np.array([[4.0, -1.0, 0.0, 0.5], [-6.0, 2.0, 0.0, 0.0]])
    mean, cov = kf.initiate(starts)
    for step in range(1, 40):
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, starts + step * velocity)
    assert mean.shape == (2, 8) and cov.shape == (2, 8, 8)
    np.testing.assert_allclose(mean[:, 4:], velocity, atol=0.05)
    predicted, _ = kf.predict(mean, cov)
    np.testing.assert_allclose(predicted[:, :4], starts + 40 * velocity, atol=0.5)


def test_zero_height_prediction_stays_finite() -> None:
    kf = KalmanBoxFilter()
    mean, cov = kf.initiate(np.array([[10.0, 10.0, 1.0, 0.0]]))
    mean, cov = kf.predict(mean, cov)
    new_mean, new_cov = kf.update(mean, cov, np.array([[10.0, 10.0, 1.0, 0.0]]))
    assert np.isfinite(new_mean).all() and np.isfinite(new_cov).all()
