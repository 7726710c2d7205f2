"""Multispectral scenes and their land-cover masks: GeoTIFF (rasterio) or PNG / NumPy band stacks.

A :class:`Scene` is a (C, H, W) float32 reflectance stack with a per-pixel ``valid`` mask, the
date it was taken and, for a georeferenced input, its CRS and affine transform (so that maps and
areas in hectares can be written back in place). How the file's bands are read is explicit
configuration (:class:`BandConfig`): which bands in which order, the scale to reflectance, and
the nodata value. Whatever is wrong with an input — a wrong band count, a band name the file does
not have, a missing CRS where one is needed, a scene with no valid pixel — is a
:class:`TerrainDataError` that names the file and says what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np

# Sentinel-2 L2A at 10 m and 20 m resampled to 10 m: the ten bands the Strzegom scenes carry
S2_BANDS: tuple[str, ...] = ("B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


class TerrainDataError(ValueError):
    """An input scene, mask or setting that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class BandConfig:
    """How a scene's bands are read.

    ``bands``: the band names the model uses, in order; a GeoTIFF whose bands carry names
    (descriptions) is read by name, one without names (or a PNG / NumPy stack) must have exactly
    this many bands in this order. ``scale`` turns stored digital numbers into reflectance
    (Sentinel-2 L2A: 1/10000). A pixel is invalid when any band equals ``nodata`` (None: the
    file's own nodata value, if any) or is not finite.
    """

    bands: tuple[str, ...] = S2_BANDS
    scale: float = 1e-4
    nodata: float | None = 0.0

    def __post_init__(self) -> None:
        if not self.bands or len(set(self.bands)) != len(self.bands):
            raise TerrainDataError(f"bands must be distinct band names, got {list(self.bands)}")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise TerrainDataError(f"scale must be a positive number, got {self.scale}")

    def index(self, name: str) -> int:
        """Position of band ``name`` in the stack (for spectral indices); a clear error when absent."""
        try:
            return self.bands.index(name)
        except ValueError:
            raise TerrainDataError(f"band {name!r} is not among the configured bands {list(self.bands)}") from None


@dataclass(frozen=True)
class Scene:
    """One scene: ``bands`` (C, H, W) float32 reflectance, ``valid`` (H, W) bool, and where it lies."""

    path: Path
    taken: date | None
    bands: np.ndarray
    valid: np.ndarray
    band_names: tuple[str, ...]
    crs: str | None = None
    transform: tuple[float, float, float, float, float, float] | None = None  # affine a, b, c, d, e, f
    pixel_area_m2: float | None = field(default=None)

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.bands.shape[1]), int(self.bands.shape[2])

    def require_georeference(self) -> None:
        if self.crs is None or self.transform is None:
            raise TerrainDataError(
                f"{self.path}: has no CRS / geotransform, needed here (maps in place, areas in hectares) "
                "— give a GeoTIFF, or pass the pixel size"
            )


def date_from_name(path: Path) -> date | None:
    """The acquisition date written in a file name as YYYYMMDD (e.g. ``strzegom_20210619_33u.tif``)."""
    for match in DATE_IN_NAME.finditer(path.stem):
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


def read_scene(path: Path | str, config: BandConfig | None = None, *, taken: date | None = None) -> Scene:
    """Read a GeoTIFF (``.tif``/``.tiff``), ``.npy`` (C, H, W) or multi-page/RGB ``.png`` band stack."""
    path, config = Path(path), config or BandConfig()
    if not path.is_file():
        raise TerrainDataError(f"{path}: no such scene file")
    suffix = path.suffix.lower()
    crs = transform = metres_per_unit = None
    nodata = config.nodata
    if suffix in (".tif", ".tiff"):
        tiff = _read_geotiff(path)
        raw, names, crs, transform, metres_per_unit = tiff.raw, tiff.names, tiff.crs, tiff.transform, tiff.metres
        nodata = tiff.nodata if config.nodata is None else config.nodata
    elif suffix == ".npy":
        raw, names = _read_npy(path), None
    elif suffix == ".png":
        raw, names = _read_png(path), None
    else:
        raise TerrainDataError(f"{path}: unknown scene format {suffix!r} — use .tif/.tiff, .npy (C, H, W) or .png")
    raw = _select_bands(path, raw, names, config.bands)
    stack = raw.astype(np.float32)
    valid = np.all(np.isfinite(stack), axis=0)
    if nodata is not None:
        valid &= ~np.any(stack == np.float32(nodata), axis=0)
    if not valid.any():
        raise TerrainDataError(f"{path}: every pixel is nodata ({nodata}) or not a number — is this the right file?")
    stack = np.where(valid[None], stack * np.float32(config.scale), np.float32(0.0)).astype(np.float32)
    area = None  # square metres only where the CRS counts in a linear unit (not degrees)
    if transform is not None and metres_per_unit is not None:
        area = abs(transform[0] * transform[4] - transform[1] * transform[3]) * metres_per_unit**2
    return Scene(path, taken or date_from_name(path), stack, valid, config.bands, crs, transform, area)


def read_mask(path: Path | str, *, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A land-cover mask as (H, W) int16 class ids (0: not labelled); ``shape`` checks it fits its scene."""
    path = Path(path)
    if not path.is_file():
        raise TerrainDataError(f"{path}: no such mask file")
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        tiff = _read_geotiff(path)
        raw = tiff.raw.astype(np.float64)
        if tiff.nodata is not None:  # the file's own nodata value means "not labelled"
            raw[raw == tiff.nodata] = 0.0
    elif suffix == ".npy":
        raw = _read_npy(path)
    elif suffix == ".png":
        raw = _read_png(path)
    else:
        raise TerrainDataError(f"{path}: unknown mask format {suffix!r} — use .tif/.tiff, .npy or .png")
    if raw.ndim == 3:
        if raw.shape[0] != 1:
            raise TerrainDataError(f"{path}: a mask has one band of class ids, this file has {raw.shape[0]}")
        raw = raw[0]
    values = np.nan_to_num(raw.astype(np.float64), nan=0.0)
    if np.any(values < 0) or np.any(values > np.iinfo(np.int16).max) or np.any(values != np.round(values)):
        raise TerrainDataError(f"{path}: mask values must be whole class ids 0..32767 (0: not labelled)")
    if shape is not None and values.shape != tuple(shape):
        raise TerrainDataError(
            f"{path}: mask is {values.shape[0]}x{values.shape[1]} px, its scene {shape[0]}x{shape[1]}"
        )
    return values.astype(np.int16)


class _GeoTiff(NamedTuple):
    raw: np.ndarray
    names: tuple[str | None, ...]
    crs: str | None
    transform: tuple[float, float, float, float, float, float] | None
    nodata: float | None
    metres: float | None  # metres per CRS unit; None for a geographic (degree) or unknown CRS


def _read_geotiff(path: Path) -> _GeoTiff:
    import rasterio  # imported here: GDAL is only loaded by the terrain commands
    from rasterio.errors import RasterioIOError

    try:
        with rasterio.open(path) as dataset:
            crs = dataset.crs
            metres = crs.linear_units_factor[1] if crs is not None and crs.is_projected else None
            transform = tuple(dataset.transform)[:6] if not dataset.transform.is_identity else None
            return _GeoTiff(
                dataset.read(),
                tuple(dataset.descriptions),
                crs.to_string() if crs else None,
                transform,
                dataset.nodata,
                metres,
            )
    except RasterioIOError as exc:
        raise TerrainDataError(f"{path}: cannot be read as a GeoTIFF ({exc})") from exc


def _read_npy(path: Path) -> np.ndarray:
    try:
        raw = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise TerrainDataError(f"{path}: cannot be read as a NumPy array ({exc})") from exc
    if raw.ndim == 2:
        raw = raw[None]
    if raw.ndim != 3 or not np.issubdtype(raw.dtype, np.number):
        raise TerrainDataError(f"{path}: expected a numeric (bands, height, width) array, got {raw.dtype} {raw.shape}")
    return raw


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            raw = np.asarray(image)
    except (UnidentifiedImageError, OSError) as exc:
        raise TerrainDataError(f"{path}: cannot be read as a PNG ({exc})") from exc
    return raw[None] if raw.ndim == 2 else np.moveaxis(raw, -1, 0)


def _select_bands(
    path: Path, raw: np.ndarray, names: tuple[str | None, ...] | None, wanted: tuple[str, ...]
) -> np.ndarray:
    if names and all(names):
        missing = [band for band in wanted if band not in names]
        if missing:
            raise TerrainDataError(f"{path}: has bands {list(names)}, not {missing} — set the band names in use")
        return raw[[names.index(band) for band in wanted]]
    if raw.shape[0] != len(wanted):
        raise TerrainDataError(
            f"{path}: has {raw.shape[0]} unnamed band(s), expected {len(wanted)} in the order {list(wanted)}"
        )
    return raw
