"""Data preparation for open-pit classification: scenes paired with masks, slices, and the split.

The training code calls two functions::

    scenes = load_strzegom(folder, BandConfig())             # [(Scene, mask), ...] sorted by date
    data = build_split(scenes, 18, SplitConfig())              # SplitData: train / val / test Slices
    data.train.X, data.train.y                                 # (N, C, 18, 18) float32, (N,) int64

``folder`` holds ``img_train/*.tif`` and ``training_masks/*.tif`` with the same file names (the
Strzegom layout of the shared data). ``build_split(..., protocol="random")`` gives the
deliberately flattering random split (``data.flattering`` is True).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from mineguard.terrain.raster import BandConfig, Scene, TerrainDataError, read_mask, read_scene
from mineguard.terrain.slices import SliceConfig, cut_slices
from mineguard.terrain.split import SplitConfig, SplitData, random_split, spatial_temporal_split

SCENE_SUFFIXES: tuple[str, ...] = (".tif", ".tiff", ".npy", ".png")


def load_strzegom(
    folder: Path | str,
    config: BandConfig | None = None,
    *,
    scenes_dir: str = "img_train",
    masks_dir: str = "training_masks",
) -> list[tuple[Scene, np.ndarray]]:
    """Every scene in ``folder/scenes_dir`` with the mask of the same file name in ``folder/masks_dir``.

    Returns ``(scene, mask)`` pairs sorted by acquisition date (then name); the mask is (H, W)
    int16 class ids. A scene without a mask, a folder without scenes, or a mask of another
    shape is a :class:`TerrainDataError` naming the file.
    """
    folder = Path(folder)
    images, masks = folder / scenes_dir, folder / masks_dir
    for path in (images, masks):
        if not path.is_dir():
            raise TerrainDataError(f"{path}: no such folder — expected {scenes_dir}/ and {masks_dir}/ under {folder}")
    paths = sorted(p for p in images.iterdir() if p.suffix.lower() in SCENE_SUFFIXES)
    if not paths:
        raise TerrainDataError(f"{images}: no scene files ({', '.join(SCENE_SUFFIXES)})")
    pairs = []
    for path in paths:
        mask_path = masks / path.name
        if not mask_path.is_file():
            raise TerrainDataError(f"{path}: no mask {mask_path} — every scene needs a mask of the same file name")
        scene = read_scene(path, config)
        pairs.append((scene, read_mask(mask_path, shape=scene.shape)))
    return sorted(pairs, key=lambda pair: (pair[0].taken is None, pair[0].taken or 0, pair[0].path.name))


def build_split(
    scenes: list[tuple[Scene, np.ndarray]],
    slice_size: int | SliceConfig,
    split_config: SplitConfig | None = None,
    *,
    protocol: Literal["spatial_temporal", "random"] = "spatial_temporal",
) -> SplitData:
    """Cut every scene into slices of ``slice_size`` px (or a full :class:`SliceConfig`) and split them.

    The scenes must share one footprint (same H, W — one site seen on several dates).
    ``protocol="spatial_temporal"``: the honest block x date split with a buffer (see
    :mod:`mineguard.terrain.split`); ``"random"``: the flattering random split.
    """
    if not scenes:
        raise TerrainDataError("build_split needs at least one (scene, mask) pair")
    slice_config = slice_size if isinstance(slice_size, SliceConfig) else SliceConfig(size=slice_size)
    split_config = split_config or SplitConfig()
    shape = scenes[0][0].shape
    for scene, _ in scenes:
        if scene.shape != shape:
            raise TerrainDataError(
                f"{scene.path}: is {scene.shape} px, {scenes[0][0].path.name} {shape} — "
                "one site's scenes must share a footprint"
            )
    cuts = [cut_slices(scene, mask, slice_config) for scene, mask in scenes]
    if protocol == "random":
        return random_split(cuts, slice_config, split_config)
    if protocol != "spatial_temporal":
        raise TerrainDataError(f"unknown split protocol {protocol!r} — use 'spatial_temporal' or 'random'")
    quarry = np.zeros(shape, bool)
    for scene, mask in scenes:
        quarry |= (mask == slice_config.quarry_class) & scene.valid
    return spatial_temporal_split(cuts, quarry, slice_config, split_config)
