"""The random-forest baseline learns a separable synthetic set and is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.terrain.forest import QuarryForest
from mineguard.terrain.raster import S2_BANDS, BandConfig


def _separable(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bright bare slices (open pit, high B11 / low B08) against vegetated ones, with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.uniform(0.05, 0.15, (n, len(S2_BANDS), 4, 4)).astype(np.float32)
    X[y == 1, S2_BANDS.index("B11")] += 0.25
    X[y == 0, S2_BANDS.index("B08")] += 0.3
    return X, y


def test_fits_separable_set() -> None:
    X, y = _separable(120, seed=0)
    X_test, y_test = _separable(60, seed=1)
    forest = QuarryForest(BandConfig(), n_estimators=30, seed=0).fit(X, y)
    proba = forest.predict_proba(X_test)
    assert proba.shape == (60,) and ((proba >= 0) & (proba <= 1)).all()
    assert (forest.predict(X_test) == y_test).mean() == 1.0
    again = QuarryForest(BandConfig(), n_estimators=30, seed=0).fit(X, y)
    assert np.array_equal(again.predict_proba(X_test), proba)
    assert len(forest.feature_names) == forest.features(X_test[:1]).shape[1]
    assert forest.predict_proba(X_test[:0]).shape == (0,)


def test_errors() -> None:
    X, y = _separable(20, seed=0)
    with pytest.raises(RuntimeError, match="before fit"):
        QuarryForest(BandConfig()).predict_proba(X)
    with pytest.raises(ValueError, match="both classes"):
        QuarryForest(BandConfig()).fit(X, np.zeros(20, np.int64))
    with pytest.raises(ValueError, match="20 slices but 3 labels"):
        QuarryForest(BandConfig()).fit(X, y[:3])
