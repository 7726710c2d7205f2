"""Synthetic scenes with a known quarry square, for the terrain known-answer tests (slices, split, features)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

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
    (3, 13, 3, 13), (3, 13, 53, 63), (28, 38, 78, 88), (53, 63, 28, 38), (78, 88, 3, 13), (78, 88, 78, 88),
)  # fmt: skip
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
