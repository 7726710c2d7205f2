"""Band statistics and spectral indices on known reflectances, found by band name."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.terrain.features import SPECTRAL_INDICES, feature_names, slice_features
from mineguard.terrain.raster import S2_BANDS, BandConfig, TerrainDataError


def _pixel(**reflectance: float) -> np.ndarray:
    """A (1, 10, 1, 1) slice: one pixel with the given band reflectances, 0.1 elsewhere."""
    X = np.full((1, len(S2_BANDS), 1, 1), 0.1, np.float32)
    for name, value in reflectance.items():
        X[0, S2_BANDS.index(name)] = value
    return X


def test_ndvi_known_answer() -> None:
    X = _pixel(B08=0.5, B04=0.1)
    assert SPECTRAL_INDICES["ndvi"](X, BandConfig())[0, 0, 0] == pytest.approx(0.6667, abs=1e-4)
    features = dict(zip(feature_names(BandConfig()), slice_features(X, BandConfig())[0], strict=True))
    assert features["ndvi_mean"] == pytest.approx(2 / 3, abs=1e-6) and features["ndvi_std"] == 0.0


def test_other_indices_known_answers() -> None:
    X = _pixel(B02=0.1, B03=0.2, B04=0.3, B08=0.4, B11=0.6)
    f = dict(zip(feature_names(BandConfig()), slice_features(X, BandConfig())[0], strict=True))
    assert f["ndbi_mean"] == pytest.approx(0.2 / 1.0)
    assert f["ndwi_mean"] == pytest.approx(-0.2 / 0.6)
    assert f["mndwi_mean"] == pytest.approx(-0.4 / 0.8)
    assert f["bsi_mean"] == pytest.approx((0.9 - 0.5) / 1.4)


def test_bands_found_by_name_not_position() -> None:
    reordered = BandConfig(bands=tuple(reversed(S2_BANDS)))
    X = _pixel(B08=0.5, B04=0.1)[:, ::-1].copy()  # the same pixel, bands stored in reverse order
    assert SPECTRAL_INDICES["ndvi"](X, reordered)[0, 0, 0] == pytest.approx(2 / 3)
    with pytest.raises(TerrainDataError, match="'B11' is not among"):
        slice_features(np.zeros((1, 3, 2, 2), np.float32), BandConfig(bands=("B04", "B03", "B08")))


def test_band_statistics_and_safe_division() -> None:
    X = np.zeros((2, len(S2_BANDS), 3, 3), np.float32)  # all-zero reflectance: every index 0 / 0
    X[1, S2_BANDS.index("B02")] = np.arange(9, dtype=np.float32).reshape(3, 3)
    features = slice_features(X, BandConfig())
    names = feature_names(BandConfig())
    assert features.shape == (2, len(names)) == (2, 10 * 4 + 5 * 2)
    assert np.isfinite(features).all() and features[0].max() == 0.0
    f = dict(zip(names, features[1], strict=True))
    assert (f["B02_mean"], f["B02_min"], f["B02_max"]) == (4.0, 0.0, 8.0)
    assert f["B02_std"] == pytest.approx(np.arange(9).std())


def test_bad_shapes_and_index_names() -> None:
    with pytest.raises(ValueError, match=r"\(N, 10, s, s\)"):
        slice_features(np.zeros((1, 3, 2, 2)), BandConfig())
    with pytest.raises(ValueError, match="unknown spectral index"):
        slice_features(np.zeros((1, 10, 2, 2)), BandConfig(), indices=("evi9",))
