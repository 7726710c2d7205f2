"""Synthetic scenes for the terrain tests (a test helper, not part of the package: ``from terrain_scenes import ...``).

Known-answer scenes with quarry squares (slices, split, features), and dated scenes and probability
maps on the Strzegom grid (EPSG:32633, 10 m pixels) for maps, writers and change.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from mineguard.terrain.mapping import ProbabilityMap
from mineguard.terrain.raster import S2_BANDS, Scene


def make_scene(shape: tuple[int, int] = (40, 40), *, taken: date | None = date(2022, 6, 1), fill: float = 0.2) -> Scene:
    """A (10, H, W) all-valid scene of constant reflectance ``fill`` with the Sentinel-2 band names."""
    bands = np.full((len(S2_BANDS), *shape), fill, np.float32)
    return Scene(
        Path(f"synthetic_{taken:%Y%m%d}.npy" if taken else "synthetic.npy"),
        taken,
        bands,
        np.ones(shape, bool),
        S2_BANDS,
    )


def make_quarry_scene(
    size: int = 40, *, quarry: tuple[int, int, int, int] = (10, 20, 10, 20), taken: date = date(2022, 6, 1)
):
    """A scene labelled 9 (crops) everywhere, a quarry (10) in rows r0:r1, cols c0:c1 with brighter pixels."""
    scene = make_scene((size, size), taken=taken)
    mask = np.full((size, size), 9, np.int16)
    r0, r1, c0, c1 = quarry
    mask[r0:r1, c0:c1] = 10
    scene.bands[:, r0:r1, c0:c1] = 0.4
    return scene, mask


QUARRY_SQUARES: tuple[tuple[int, int, int, int], ...] = (
    (3, 13, 3, 13),
    (3, 13, 53, 63),
    (28, 38, 78, 88),
    (53, 63, 28, 38),
    (78, 88, 3, 13),
    (78, 88, 78, 88),
)
DATES: tuple[date, ...] = (
    date(2021, 6, 19),
    date(2022, 6, 19),
    date(2022, 7, 19),
    date(2022, 10, 12),
    date(2023, 2, 9),
)


def make_site(size: int = 100, dates: tuple[date, ...] = DATES) -> list[tuple[Scene, np.ndarray]]:
    """One ``size`` px site seen on ``dates``: crops (9) with six 10x10 quarries (10), each in its own 25 px block."""
    pairs = []
    for taken in dates:
        scene = make_scene((size, size), taken=taken)
        mask = np.full((size, size), 9, np.int16)
        for r0, r1, c0, c1 in QUARRY_SQUARES:
            mask[r0:r1, c0:c1] = 10
            scene.bands[:, r0:r1, c0:c1] = 0.4
        pairs.append((scene, mask))
    return pairs


CRS = "EPSG:32633"
TRANSFORM = (10.0, 0.0, 585420.0, 0.0, -10.0, 5652250.0)  # the Strzegom scenes' grid


def scene(bands: np.ndarray, *, valid: np.ndarray | None = None, taken: date | None = None, geo: bool = True) -> Scene:
    """A scene of ``bands`` (C, H, W) reflectance, on the Strzegom grid when ``geo``."""
    bands = bands.astype(np.float32)
    valid = np.ones(bands.shape[1:], bool) if valid is None else valid
    names = S2_BANDS[: bands.shape[0]]
    if geo:
        return Scene(Path("synthetic.tif"), taken, bands, valid, names, CRS, TRANSFORM, 100.0)
    return Scene(Path("synthetic.npy"), taken, bands, valid, names)


def probability(probs: np.ndarray, taken: date, *, path: str = "map.tif") -> ProbabilityMap:
    """A probability map of ``probs`` (H, W) on the Strzegom grid, dated ``taken``."""
    return ProbabilityMap(Path(path), taken, probs.astype(np.float32), CRS, TRANSFORM, 100.0, 18, 6)


def write_scene(path: Path, bands: np.ndarray) -> Path:
    """``bands`` (10, H, W) uint16 digital numbers as a named-band GeoTIFF on the Strzegom grid."""
    import rasterio
    from affine import Affine

    count, height, width = bands.shape
    profile = {"driver": "GTiff", "height": height, "width": width, "count": count, "dtype": "uint16"}
    with rasterio.open(path, "w", crs=CRS, transform=Affine(*TRANSFORM), nodata=0, **profile) as dataset:
        dataset.write(bands.astype(np.uint16))
        dataset.descriptions = S2_BANDS[:count]
    return path


def mean_logits_onnx(path: Path, *, channels: int, size: int, batch: int | str = "N") -> Path:
    """An ONNX slice classifier (N, channels, size, size) -> (N, 2) logits (-8m, 8m - 4), m the slice's
    mean of band 0: a 1x1 conv, a global mean, a flatten (open pit where band 0 is bright)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = np.zeros((2, channels, 1, 1), np.float32)
    weight[:, 0, 0, 0] = (-8, 8)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"]),
        helper.make_node("GlobalAveragePool", ["c"], ["g"]),
        helper.make_node("Flatten", ["g"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "mean-logits",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, channels, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, 2])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(np.array([0, -4], np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path
