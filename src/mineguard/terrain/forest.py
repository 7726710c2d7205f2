"""The random-forest baseline for open-pit slices: band statistics and spectral indices -> RandomForest.

A model without convolutions against which the seed 004 networks are measured on the same split.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from mineguard.terrain.features import SPECTRAL_INDICES, feature_names, slice_features
from mineguard.terrain.raster import BandConfig


class QuarryForest:
    """``fit(X, y)`` on slices (N, C, s, s) with y (N,) in {0, 1}; ``predict_proba(X)`` -> (N,) P(open pit).

    ``class_weight="balanced"`` because open-pit slices are a small minority of a scene.
    """

    def __init__(
        self,
        bands: BandConfig,
        *,
        n_estimators: int = 300,
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        class_weight: str | None = "balanced",
        indices: tuple[str, ...] = tuple(SPECTRAL_INDICES),
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.bands = bands
        self.indices = indices
        self.model = RandomForestClassifier(
            n_estimators=n_estimators,
            max_depth=max_depth,
            min_samples_leaf=min_samples_leaf,
            class_weight=class_weight,
            random_state=seed,
            n_jobs=n_jobs,
        )
        self._fitted = False

    @property
    def feature_names(self) -> list[str]:
        return feature_names(self.bands, self.indices)

    def features(self, X: np.ndarray) -> np.ndarray:
        return slice_features(X, self.bands, self.indices)

    def fit(self, X: np.ndarray, y: np.ndarray) -> QuarryForest:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"{len(X)} slices but {len(y)} labels")
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError(f"training labels must hold both classes 0 and 1, got {sorted(np.unique(y).tolist())}")
        self.model.fit(self.features(X), y)
        self._fitted = True
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(N,) float64 probability that each slice is an open pit."""
        if not self._fitted:
            raise RuntimeError("QuarryForest.predict_proba before fit — call fit(X, y) first")
        if len(X) == 0:
            return np.zeros(0, np.float64)
        proba = self.model.predict_proba(self.features(X))
        return proba[:, list(self.model.classes_).index(1)]

    def predict(self, X: np.ndarray, *, threshold: float = 0.5) -> np.ndarray:
        """(N,) int64 labels: 1 where P(open pit) >= ``threshold``."""
        return (self.predict_proba(X) >= threshold).astype(np.int64)
