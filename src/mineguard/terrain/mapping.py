"""Open-pit probability maps: a slice classifier slid over a whole scene (seed 004 §5.1–5.2).

The classifier judges one ``slice_size`` × ``slice_size`` slice at a time (seed 004 §5.1 chose
18 × 18 Sentinel-2 pixels); :func:`probability_map` slides it with ``stride`` over the scene and
gives each pixel the mean probability of every slice that covers it. The last row and column of
slices are placed flush with the scene's edge, so every pixel is covered even when the stride
does not divide the size; a scene smaller than one slice is padded with invalid (zero) pixels.
Invalid pixels (nodata) are NaN in the map. :func:`disturbed` turns the map into the binary
layer at a threshold, and :func:`threshold_areas` reports the area at the paper's three
thresholds 0.7 / 0.8 / 0.9 ("a threshold of 0.8 yielded better results", seed 004 §5.2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np

from mineguard.terrain.raster import Scene, TerrainDataError

PAPER_THRESHOLDS: tuple[float, ...] = (0.7, 0.8, 0.9)
DEFAULT_SLICE = 18  # seed 004 §5.1: 18 × 18 gave the best kappa
Predict = Callable[[np.ndarray], np.ndarray]  # (N, C, s, s) float32 -> (N,) open-pit probability


@dataclass(frozen=True)
class ProbabilityMap:
    """``probs`` (H, W) float32 open-pit probability in [0, 1], NaN where the scene has no data;
    where it lies (the scene's CRS, affine transform, pixel area in m²) and how it was made."""

    path: Path  # the scene (or map file) it comes from
    taken: date | None
    probs: np.ndarray
    crs: str | None
    transform: tuple[float, float, float, float, float, float] | None
    pixel_area_m2: float | None
    slice_size: int
    stride: int
    windows: int = 0
    seconds: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.probs.shape[0]), int(self.probs.shape[1])

    @property
    def valid(self) -> np.ndarray:
        return np.isfinite(self.probs)

    @property
    def km2_per_s(self) -> float | None:
        """Mapping speed: valid area in km² per second of classifier time (None without a pixel area)."""
        if self.pixel_area_m2 is None or self.seconds <= 0:
            return None
        return float(self.valid.sum()) * self.pixel_area_m2 / 1e6 / self.seconds

    def require_georeference(self) -> None:
        if self.crs is None or self.transform is None:
            raise TerrainDataError(
                f"{self.path}: has no CRS / geotransform, needed here (maps in place, areas in hectares) "
                "— map a GeoTIFF scene, or pass the pixel size"
            )


class Georeferenced(Protocol):
    pixel_area_m2: float | None

    def require_georeference(self) -> None: ...


@dataclass(frozen=True)
class ThresholdArea:
    threshold: float
    pixels: int
    hectares: float


def window_starts(length: int, size: int, stride: int) -> list[int]:
    """Start offsets of slices of ``size`` with ``stride`` along ``length`` (≥ size); the last is flush."""
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def probability_map(
    scene: Scene,
    predict: Predict,
    slice_size: int = DEFAULT_SLICE,
    stride: int | None = None,
    *,
    batch: int = 256,
    progress: Callable[[int], None] | None = None,
) -> ProbabilityMap:
    """Slide ``predict`` over ``scene`` (stride default: a third of the slice) and average per pixel.

    ``predict`` takes (N, C, s, s) float32 reflectance slices and returns (N,) probabilities in
    [0, 1]; slices that hold no valid pixel are not classified. ``progress`` is called with the
    number of slices done after each batch (for a progress bar).
    """
    stride = stride or max(1, slice_size // 3)
    if slice_size < 1 or stride < 1 or batch < 1:
        raise TerrainDataError(f"slice size, stride and batch must be ≥ 1, got {slice_size}, {stride}, {batch}")
    bands, valid = _padded(scene, slice_size)
    height, width = valid.shape
    total = np.zeros((height, width), np.float64)
    count = np.zeros((height, width), np.int32)
    windows = [
        (r, c)
        for r in window_starts(height, slice_size, stride)
        for c in window_starts(width, slice_size, stride)
        if valid[r : r + slice_size, c : c + slice_size].any()
    ]
    started = time.perf_counter()
    for chunk in _chunks(windows, batch):
        slices = np.stack([bands[:, r : r + slice_size, c : c + slice_size] for r, c in chunk])
        probs = _checked(predict(slices), len(chunk))
        for (r, c), p in zip(chunk, probs, strict=True):
            total[r : r + slice_size, c : c + slice_size] += p
            count[r : r + slice_size, c : c + slice_size] += 1
        if progress is not None:
            progress(len(chunk))
    seconds = time.perf_counter() - started
    h, w = scene.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (total / count)[:h, :w]
    probs = np.where(scene.valid, mean, np.nan).astype(np.float32)
    return ProbabilityMap(
        scene.path,
        scene.taken,
        probs,
        scene.crs,
        scene.transform,
        scene.pixel_area_m2,
        slice_size,
        stride,
        len(windows),
        seconds,
    )


def disturbed(probs: np.ndarray, threshold: float) -> np.ndarray:
    """The binary layer: (H, W) bool, True where the probability is at least ``threshold`` (NaN: False)."""
    if not 0 < threshold < 1:
        raise TerrainDataError(f"threshold must lie between 0 and 1, got {threshold}")
    with np.errstate(invalid="ignore"):
        return np.asarray(probs >= threshold) & np.isfinite(probs)


def area_ha(mask: np.ndarray, where: Georeferenced, *, pixel_area_m2: float | None = None) -> float:
    """Area of the True pixels of ``mask`` in hectares (1 ha = 10 000 m²), from the pixel area of
    ``where`` (a scene or a map) or ``pixel_area_m2`` when given."""
    area = pixel_area_m2 if pixel_area_m2 is not None else where.pixel_area_m2
    if area is None:
        where.require_georeference()
        raise TerrainDataError("no pixel area known — pass pixel_area_m2")  # georeferenced yet no area: never
    return float(np.count_nonzero(mask)) * float(area) / 1e4


def threshold_areas(
    pmap: ProbabilityMap, thresholds: Sequence[float] = PAPER_THRESHOLDS, *, pixel_area_m2: float | None = None
) -> list[ThresholdArea]:
    """Disturbed pixels and hectares at each threshold (the paper's 0.7 / 0.8 / 0.9 by default)."""
    out = []
    for threshold in thresholds:
        layer = disturbed(pmap.probs, threshold)
        out.append(ThresholdArea(threshold, int(layer.sum()), area_ha(layer, pmap, pixel_area_m2=pixel_area_m2)))
    return out


def count_windows(shape: tuple[int, int], slice_size: int, stride: int) -> int:
    """How many slices cover a scene of ``shape`` (before skipping the all-nodata ones), for a progress bar."""
    height, width = (max(n, slice_size) for n in shape)
    return len(window_starts(height, slice_size, stride)) * len(window_starts(width, slice_size, stride))


def _padded(scene: Scene, size: int) -> tuple[np.ndarray, np.ndarray]:
    h, w = scene.shape
    if h >= size and w >= size:
        return scene.bands, scene.valid
    pad = ((0, max(0, size - h)), (0, max(0, size - w)))
    return np.pad(scene.bands, ((0, 0), *pad)), np.pad(scene.valid, pad)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _checked(probs: object, n: int) -> np.ndarray:
    out = np.asarray(probs, dtype=np.float64).reshape(-1)
    if out.shape != (n,):
        raise TerrainDataError(
            f"the classifier returned {np.shape(probs)} for {n} slices — it must return (N,) open-pit probabilities"
        )
    if not np.all(np.isfinite(out)) or out.min() < 0 or out.max() > 1:
        bad = out[~np.isfinite(out) | (out < 0) | (out > 1)][:3]
        raise TerrainDataError(
            f"the classifier returned values outside [0, 1] (e.g. {bad.tolist()}) — give probabilities"
        )
    return out
