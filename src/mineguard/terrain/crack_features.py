"""A few image statistics of a crack patch, for a non-deep baseline (logistic regression on them).

A crack in masonry is a thin dark line with sharp edges across bricks and mortar, so per patch:
RGB mean and standard deviation (6), the fraction of dark grey pixels — absolutely (< 0.25) and
relative to the patch (< its median - 0.2) (2), the mean Sobel gradient magnitude and the fraction
of edge pixels (magnitude > 0.5) (2), and the 5th and 50th grey percentiles (2). Grey is the
ITU-R BT.601 luma ``0.299 R + 0.587 G + 0.114 B``.
"""

from __future__ import annotations

import numpy as np

FEATURE_NAMES: tuple[str, ...] = (
    "R_mean",
    "G_mean",
    "B_mean",
    "R_std",
    "G_std",
    "B_std",
    "dark_fraction",
    "dark_relative_fraction",
    "edge_mean",
    "edge_density",
    "grey_p5",
    "grey_p50",
)
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def sobel_magnitude(grey: np.ndarray) -> np.ndarray:
    """(N, s, s) grey -> (N, s-2, s-2) Sobel gradient magnitude (valid pixels only)."""
    g = grey.astype(np.float32)
    gx = (g[:, :-2, 2:] + 2 * g[:, 1:-1, 2:] + g[:, 2:, 2:]) - (g[:, :-2, :-2] + 2 * g[:, 1:-1, :-2] + g[:, 2:, :-2])
    gy = (g[:, 2:, :-2] + 2 * g[:, 2:, 1:-1] + g[:, 2:, 2:]) - (g[:, :-2, :-2] + 2 * g[:, :-2, 1:-1] + g[:, :-2, 2:])
    return np.hypot(gx, gy)


def patch_statistics(X: np.ndarray) -> np.ndarray:
    """``X`` (N, 3, s, s) RGB in [0, 1], s >= 3 -> (N, 12) float32, columns as ``FEATURE_NAMES``."""
    if X.ndim != 4 or X.shape[1] != 3 or X.shape[-1] < 3 or X.shape[-2] < 3:
        raise ValueError(f"patches must be (N, 3, s, s) RGB with s >= 3, got shape {X.shape}")
    flat = X.reshape(len(X), 3, -1)
    grey = np.tensordot(LUMA, X, axes=([0], [1]))  # (N, s, s)
    grey_flat = grey.reshape(len(X), -1)
    median = np.median(grey_flat, axis=1, keepdims=True)
    edges = sobel_magnitude(grey).reshape(len(X), -1)
    columns = [
        flat.mean(2),
        flat.std(2),
        (grey_flat < 0.25).mean(1, keepdims=True),
        (grey_flat < median - 0.2).mean(1, keepdims=True),
        edges.mean(1, keepdims=True),
        (edges > 0.5).mean(1, keepdims=True),
        np.percentile(grey_flat, [5, 50], axis=1).T,
    ]
    return np.concatenate(columns, axis=1).astype(np.float32)
