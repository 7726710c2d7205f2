"""Hand-made features of a slice for the random-forest baseline: band statistics and spectral indices.

Per band: mean, std, min, max over the slice's pixels. Per spectral index (computed per pixel,
then mean and std over the slice), every one a normalised difference of band sums
``(sum(plus) - sum(minus)) / (sum(plus) + sum(minus))``:

* NDVI  (B08 - B04) / (B08 + B04) — vegetation (Rouse et al. 1974); pits are bare, low NDVI;
* NDBI  (B11 - B08) / (B11 + B08) — built-up / bare rock (Zha et al. 2003);
* NDWI  (B03 - B08) / (B03 + B08) — open water (McFeeters 1996);
* MNDWI (B03 - B11) / (B03 + B11) — water with the SWIR band (Xu 2006): flooded pit floors;
* BSI   ((B11 + B04) - (B08 + B02)) / ((B11 + B04) + (B08 + B02)) — bare soil (Rikimaru et al. 2002).

Bands are found by NAME through :meth:`BandConfig.index`, never by position; a band the
configuration lacks is a clear error. Division is safe: where the denominator is ~0, the index is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mineguard.terrain.raster import BandConfig

BAND_STATISTICS: tuple[str, ...] = ("mean", "std", "min", "max")
INDEX_STATISTICS: tuple[str, ...] = ("mean", "std")
_EPS = 1e-6


@dataclass(frozen=True)
class NormalizedDifference:
    """``(sum(plus) - sum(minus)) / (sum(plus) + sum(minus))`` of the named bands."""

    plus: tuple[str, ...]
    minus: tuple[str, ...]

    def __call__(self, X: np.ndarray, bands: BandConfig) -> np.ndarray:
        """``X``: (N, C, s, s) reflectance -> (N, s, s) float32 index, 0 where the denominator is ~0."""
        a = sum(X[:, bands.index(name)].astype(np.float64) for name in self.plus)
        b = sum(X[:, bands.index(name)].astype(np.float64) for name in self.minus)
        den = a + b
        out = np.divide(a - b, den, out=np.zeros_like(den), where=np.abs(den) > _EPS)
        return out.astype(np.float32)


SPECTRAL_INDICES: dict[str, NormalizedDifference] = {
    "ndvi": NormalizedDifference(plus=("B08",), minus=("B04",)),
    "ndbi": NormalizedDifference(plus=("B11",), minus=("B08",)),
    "ndwi": NormalizedDifference(plus=("B03",), minus=("B08",)),
    "mndwi": NormalizedDifference(plus=("B03",), minus=("B11",)),
    "bsi": NormalizedDifference(plus=("B11", "B04"), minus=("B08", "B02")),
}


def feature_names(bands: BandConfig, indices: tuple[str, ...] = tuple(SPECTRAL_INDICES)) -> list[str]:
    """Names of the columns :func:`slice_features` returns, in order (``B08_mean``, ``ndvi_std``, ...)."""
    return [f"{b}_{stat}" for b in bands.bands for stat in BAND_STATISTICS] + [
        f"{name}_{stat}" for name in indices for stat in INDEX_STATISTICS
    ]


def slice_features(X: np.ndarray, bands: BandConfig, indices: tuple[str, ...] = tuple(SPECTRAL_INDICES)) -> np.ndarray:
    """``X``: (N, C, s, s) reflectance with C = ``bands.bands`` -> (N, F) float32 finite features."""
    if X.ndim != 4 or X.shape[1] != len(bands.bands):
        raise ValueError(f"slices must be (N, {len(bands.bands)}, s, s) for bands {list(bands.bands)}, got {X.shape}")
    unknown = [name for name in indices if name not in SPECTRAL_INDICES]
    if unknown:
        raise ValueError(f"unknown spectral index {unknown} — choose from {sorted(SPECTRAL_INDICES)}")
    flat = X.reshape(X.shape[0], X.shape[1], -1).astype(np.float64)
    columns = [np.stack([flat.mean(2), flat.std(2), flat.min(2), flat.max(2)], axis=2).reshape(len(X), -1)]
    for name in indices:
        index = SPECTRAL_INDICES[name](X, bands).reshape(len(X), -1).astype(np.float64)
        columns.append(np.stack([index.mean(1), index.std(1)], axis=1))
    features = np.concatenate(columns, axis=1).astype(np.float32)
    return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0)
