"""Maps out of the terrain code: GeoTIFF layers for GIS, PNG overlays for people.

:func:`write_probability_tif` writes a :class:`ProbabilityMap` as a float32 GeoTIFF (NaN nodata,
deflate) in the scene's CRS and transform, with how it was made in its tags, and
:func:`read_probability_map` reads such a file back; :func:`write_disturbed_tif` writes the binary
layer (uint8: 1 disturbed, 0 not, 255 nodata). :func:`overlay` draws the scene in true colour
(B04/B03/B02, each stretched between its 2nd and 98th percentile) — or the probability in grey when
there is no scene — with the disturbed area tinted and outlined, new disturbance in another tint,
the permit boundary as a line, and a legend strip (date, threshold, hectares) under the picture.
Every file problem is a :class:`TerrainDataError` naming the path.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np

from mineguard.terrain.mapping import ProbabilityMap
from mineguard.terrain.raster import Scene, TerrainDataError

TRUE_COLOUR = ("B04", "B03", "B02")
DISTURBED_RGB = (255, 140, 0)  # orange
NEW_RGB = (220, 20, 60)  # crimson: disturbed since the previous date
BOUNDARY_RGB = (0, 220, 255)  # cyan: the permit boundary
MIN_WIDTH = 600  # small scenes are enlarged (nearest neighbour) to at least this many pixels across
LEGEND_LINE = 22


def write_probability_tif(path: Path | str, pmap: ProbabilityMap) -> Path:
    """``pmap.probs`` as a float32 GeoTIFF (NaN nodata) in its CRS; the tags keep date, slice and stride."""
    pmap.require_georeference()
    tags = {"KIND": "open-pit probability", "SLICE_SIZE": pmap.slice_size, "STRIDE": pmap.stride}
    tags |= {"WINDOWS": pmap.windows, "SECONDS": f"{pmap.seconds:.3f}"}
    if pmap.taken is not None:
        tags["DATE"] = pmap.taken.isoformat()
    return _write(Path(path), pmap.probs.astype(np.float32), pmap, nodata=float("nan"), tags=tags)


def write_disturbed_tif(path: Path | str, pmap: ProbabilityMap, layer: np.ndarray, threshold: float) -> Path:
    """The binary layer (1 disturbed, 0 not, 255 nodata) as a uint8 GeoTIFF beside its probability map."""
    pmap.require_georeference()
    data = np.where(pmap.valid, layer.astype(np.uint8), np.uint8(255)).astype(np.uint8)
    tags = {"KIND": "disturbed (open pit)", "THRESHOLD": threshold}
    if pmap.taken is not None:
        tags["DATE"] = pmap.taken.isoformat()
    return _write(Path(path), data, pmap, nodata=255, tags=tags)


def read_probability_map(path: Path | str) -> ProbabilityMap:
    """A probability GeoTIFF written by :func:`write_probability_tif`, back as a :class:`ProbabilityMap`."""
    import rasterio
    from rasterio.errors import RasterioIOError

    from mineguard.terrain.raster import date_from_name

    path = Path(path)
    if not path.is_file():
        raise TerrainDataError(f"{path}: no such probability map")
    try:
        with rasterio.open(path) as dataset:
            tags, probs = dataset.tags(), dataset.read(1).astype(np.float32)
            crs = dataset.crs.to_string() if dataset.crs else None
            transform = tuple(dataset.transform)[:6] if not dataset.transform.is_identity else None
            count = dataset.count
    except RasterioIOError as exc:
        raise TerrainDataError(f"{path}: cannot be read as a GeoTIFF ({exc})") from exc
    if count != 1 or tags.get("KIND") != "open-pit probability":
        raise TerrainDataError(f"{path}: not a probability map of `mineguard terrain map` (KIND tag missing)")
    taken = date.fromisoformat(tags["DATE"]) if "DATE" in tags else date_from_name(path)
    area = abs(transform[0] * transform[4] - transform[1] * transform[3]) if transform else None
    return ProbabilityMap(
        path,
        taken,
        probs,
        crs,
        transform,
        area,
        int(tags.get("SLICE_SIZE", 0)),
        int(tags.get("STRIDE", 0)),
        int(tags.get("WINDOWS", 0)),
        float(tags.get("SECONDS", 0.0)),
    )


def true_colour(scene: Scene) -> np.ndarray:
    """(H, W, 3) uint8 RGB of B04/B03/B02, each band stretched 2–98 % over the valid pixels; nodata black."""
    try:
        stack = np.stack([scene.bands[scene.band_names.index(name)] for name in TRUE_COLOUR], axis=-1)
    except ValueError:
        raise TerrainDataError(
            f"{scene.path}: a true-colour picture needs bands {list(TRUE_COLOUR)}, the scene has "
            f"{list(scene.band_names)}"
        ) from None
    out = np.zeros(stack.shape, np.uint8)
    for i in range(3):
        values = stack[..., i][scene.valid]
        low, high = np.percentile(values, (2, 98)) if values.size else (0.0, 1.0)
        scaled = (stack[..., i] - low) / max(float(high - low), 1e-6)
        out[..., i] = (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)
    out[~scene.valid] = 0
    return out


def grey_probability(pmap: ProbabilityMap) -> np.ndarray:
    """The probability map as a grey (H, W, 3) uint8 background (nodata black)."""
    grey = (np.nan_to_num(pmap.probs, nan=0.0) * 200 + 30).astype(np.uint8)
    grey[~pmap.valid] = 0
    return np.repeat(grey[..., None], 3, axis=-1)


def overlay(
    background: np.ndarray,
    layer: np.ndarray,
    legend: list[str],
    *,
    new: np.ndarray | None = None,
    boundary: np.ndarray | None = None,
) -> np.ndarray:
    """The picture for people: (H·k + legend, W·k, 3) uint8, k the smallest whole scale to ``MIN_WIDTH``.

    ``layer`` (H, W) bool is tinted orange and outlined; ``new`` (H, W) bool tinted crimson;
    ``boundary`` (K, 2) pixel (col, row) coordinates of the permit polygon, drawn as a cyan line.
    """
    width = layer.shape[1]
    if background.shape[:2] != layer.shape:
        raise TerrainDataError(f"background is {background.shape[:2]}, the layer {layer.shape}: not the same grid")
    k = max(1, -(-MIN_WIDTH // width))
    image = _tint(background.astype(np.float32), layer, DISTURBED_RGB, 0.45)
    if new is not None:
        image = _tint(image, new, NEW_RGB, 0.6)
    image = np.ascontiguousarray(np.repeat(np.repeat(image.round().astype(np.uint8), k, 0), k, 1))
    big = np.repeat(np.repeat(layer.astype(np.uint8), k, 0), k, 1)
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(image, contours, -1, DISTURBED_RGB, max(1, k // 2))
    if boundary is not None and len(boundary) >= 3:
        ring = (np.asarray(boundary, np.float64) * k).round().astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [ring], True, BOUNDARY_RGB, max(1, k // 2))
    strip = np.full((LEGEND_LINE * len(legend) + 8, width * k, 3), 255, np.uint8)
    for i, line in enumerate(legend):
        text = line.encode("ascii", "replace").decode()  # Hershey fonts draw ASCII only
        cv2.putText(strip, text, (8, LEGEND_LINE * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([image, strip], axis=0)


def write_png(path: Path | str, image: np.ndarray) -> Path:
    """An (H, W, 3) uint8 RGB picture as PNG."""
    from PIL import Image

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(path, format="PNG")
    except OSError as exc:
        raise TerrainDataError(f"{path}: cannot write the PNG ({exc}) — check the folder and its permissions") from exc
    return path


def _tint(image: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int], alpha: float) -> np.ndarray:
    out = image.copy()
    out[mask] = (1 - alpha) * out[mask] + alpha * np.asarray(rgb, np.float32)
    return out


def _write(path: Path, data: np.ndarray, pmap: ProbabilityMap, *, nodata: float, tags: dict) -> Path:
    import rasterio
    from affine import Affine
    from rasterio.errors import RasterioError

    height, width = data.shape
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": 1,
        "dtype": data.dtype.name,
        "crs": pmap.crs,
        "transform": Affine(*pmap.transform),
        "nodata": nodata,
        "compress": "deflate",
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with rasterio.open(path, "w", **profile) as dataset:
            dataset.write(data, 1)
            dataset.update_tags(**{k: str(v) for k, v in tags.items()})
    except (RasterioError, OSError) as exc:
        raise TerrainDataError(
            f"{path}: cannot write the GeoTIFF ({exc}) — check the folder and its permissions"
        ) from exc
    return path


def is_probability_map(path: Path | str) -> bool:
    """Whether ``path`` is a GeoTIFF written by :func:`write_probability_tif` (else, e.g., a scene)."""
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff") or not path.is_file():
        return False
    try:
        with rasterio.open(path) as dataset:
            return dataset.tags().get("KIND") == "open-pit probability"
    except RasterioIOError:
        return False
