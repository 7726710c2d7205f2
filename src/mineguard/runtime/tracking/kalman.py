"""Constant-velocity Kalman filter on boxes, as in SORT / DeepSORT / ByteTrack.

State (8,): ``[x, y, a, h, vx, vy, va, vh]`` — box centre ``(x, y)``, aspect ratio ``a = w / h``,
height ``h`` and their velocities in pixels (or ratio) per frame. Measurement (4,): ``[x, y, a, h]``.

The process and measurement noise standard deviations are proportional to the box height
(``std_weight_position = 1/20``, ``std_weight_velocity = 1/160``, the values of DeepSORT and
ByteTrack), so a near box tolerates larger jumps in pixels than a far one; the aspect ratio has a
fixed small noise (1e-2 measured, 1e-5 on its velocity). The height used for noise is clamped to at
least ``MIN_NOISE_HEIGHT`` px so that a degenerate (zero-height) prediction cannot make a covariance
singular.

Every method is vectorised over a leading track axis: ``mean`` (N, 8), ``covariance`` (N, 8, 8),
``measurement`` (N, 4); pure functions of their inputs, float64 throughout.
"""

from __future__ import annotations

import numpy as np

MIN_NOISE_HEIGHT = 1.0
_NDIM = 4


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    """(N, 4) corners → (N, 4) ``[cx, cy, w / h, h]``; callers pass boxes of positive width and height."""
    b = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w / h, h], axis=1)


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """(N, ≥4) ``[cx, cy, a, h, ...]`` → (N, 4) corners (only the first four columns are read)."""
    m = np.asarray(xyah, dtype=np.float64).reshape(len(xyah), -1)
    w, h = m[:, 2] * m[:, 3], m[:, 3]
    return np.stack([m[:, 0] - w / 2, m[:, 1] - h / 2, m[:, 0] + w / 2, m[:, 1] + h / 2], axis=1)


class KalmanBoxFilter:
    """The SORT / ByteTrack box filter: ``x_{t+1} = F x_t + w``, ``z_t = H x_t + v``, ``F`` constant velocity."""

    def __init__(self, *, std_weight_position: float = 1.0 / 20, std_weight_velocity: float = 1.0 / 160) -> None:
        self.std_weight_position = std_weight_position
        self.std_weight_velocity = std_weight_velocity
        self.motion = np.eye(2 * _NDIM)
        self.motion[:_NDIM, _NDIM:] = np.eye(_NDIM)  # position += velocity (dt = 1 frame)
        self.observation = np.eye(_NDIM, 2 * _NDIM)

    def _noise_height(self, h: np.ndarray) -> np.ndarray:
        return np.maximum(np.abs(h), MIN_NOISE_HEIGHT)

    def initiate(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Track(s) from unassociated measurement(s): zero velocity, wide velocity uncertainty.

        Args:
            measurement: (N, 4) ``[x, y, a, h]``.

        Returns:
            ``mean`` (N, 8) and ``covariance`` (N, 8, 8).
        """
        z = np.asarray(measurement, dtype=np.float64).reshape(-1, _NDIM)
        mean = np.concatenate([z, np.zeros_like(z)], axis=1)
        h = self._noise_height(z[:, 3])
        p, v = self.std_weight_position * h, self.std_weight_velocity * h
        small = np.full_like(h, 1e-2)
        std = np.stack([2 * p, 2 * p, small, 2 * p, 10 * v, 10 * v, small * 1e-3, 10 * v], axis=1)
        return mean, _diag(std**2)

    def predict(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead: ``mean' = F mean``, ``P' = F P Fᵀ + Q`` with ``Q`` scaled by the current height."""
        mean = np.asarray(mean, dtype=np.float64).reshape(-1, 2 * _NDIM)
        h = self._noise_height(mean[:, 3])
        p, v = self.std_weight_position * h, self.std_weight_velocity * h
        std = np.stack([p, p, np.full_like(h, 1e-2), p, v, v, np.full_like(h, 1e-5), v], axis=1)
        new_mean = mean @ self.motion.T
        new_cov = self.motion @ covariance @ self.motion.T + _diag(std**2)
        return new_mean, new_cov

    def project(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """State → measurement space: ``H mean`` (N, 4) and ``H P Hᵀ + R`` (N, 4, 4)."""
        mean = np.asarray(mean, dtype=np.float64).reshape(-1, 2 * _NDIM)
        h = self._noise_height(mean[:, 3])
        p = self.std_weight_position * h
        std = np.stack([p, p, np.full_like(h, 1e-1), p], axis=1)
        obs = self.observation
        return mean @ obs.T, obs @ covariance @ obs.T + _diag(std**2)

    def update(
        self, mean: np.ndarray, covariance: np.ndarray, measurement: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct the prediction with a measurement: ``K = P Hᵀ S⁻¹``, ``mean += K (z − H mean)``, ``P −= K S Kᵀ``."""
        mean = np.asarray(mean, dtype=np.float64).reshape(-1, 2 * _NDIM)
        z = np.asarray(measurement, dtype=np.float64).reshape(-1, _NDIM)
        projected_mean, projected_cov = self.project(mean, covariance)
        pht = covariance @ self.observation.T  # (N, 8, 4)
        # K = P Hᵀ S⁻¹  ⇔  S Kᵀ = H P  (S symmetric positive definite)
        gain = np.linalg.solve(projected_cov, np.swapaxes(pht, 1, 2)).swapaxes(1, 2)
        innovation = z - projected_mean
        new_mean = mean + np.einsum("nij,nj->ni", gain, innovation)
        new_cov = covariance - gain @ projected_cov @ np.swapaxes(gain, 1, 2)
        return new_mean, new_cov


def _diag(values: np.ndarray) -> np.ndarray:
    """(N, D) → (N, D, D) diagonal matrices."""
    out = np.zeros((*values.shape, values.shape[-1]))
    idx = np.arange(values.shape[-1])
    out[:, idx, idx] = values
    return out
