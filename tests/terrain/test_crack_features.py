"""``terrain.crack_features``: known answers on a flat patch and on one with a black line."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.terrain.crack_features import FEATURE_NAMES, patch_statistics, sobel_magnitude


def test_flat_patch_has_no_edges_and_no_dark_pixels() -> None:
    flat = np.full((1, 3, 8, 8), 0.6, np.float32)
    features = dict(zip(FEATURE_NAMES, patch_statistics(flat)[0], strict=True))
    assert features["R_mean"] == pytest.approx(0.6) and features["R_std"] == pytest.approx(0.0, abs=1e-6)
    assert features["edge_mean"] == 0 and features["edge_density"] == 0 and features["dark_fraction"] == 0
    assert features["grey_p50"] == pytest.approx(0.6, abs=1e-5)


def test_a_black_row_is_dark_and_edgy() -> None:
    patch = np.full((1, 3, 10, 10), 0.8, np.float32)
    patch[:, :, 4] = 0.0
    features = dict(zip(FEATURE_NAMES, patch_statistics(patch)[0], strict=True))
    assert features["dark_fraction"] == pytest.approx(0.1) and features["dark_relative_fraction"] == pytest.approx(0.1)
    assert features["edge_density"] > 0 and features["grey_p5"] == pytest.approx(0.0, abs=1e-6)
    # a vertical step of height 0.8 gives a Sobel magnitude of 4 * 0.8 next to it
    assert sobel_magnitude(patch[:, 0]).max() == pytest.approx(3.2)


def test_wrong_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\(N, 3, s, s\)"):
        patch_statistics(np.zeros((2, 1, 8, 8), np.float32))
