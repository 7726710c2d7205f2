"""Crack / no-crack image patches from a folder per class — the crack step that seed 004's open-pit
classifier leads up to ("the first step towards crack detection").

A patch set such as ``cracks/brickwork_cls`` holds ``Positive/`` (crack) and ``Negative/`` (no
crack) folders of square RGB photographs. :func:`load_crack_patches` reads them, resized with area
interpolation (PIL ``BOX``) to ``size`` x ``size``, into (N, 3, s, s) float32 in [0, 1] — the
layout :func:`mineguard.terrain.train.train_classifier` takes, with band names ``("R", "G", "B")``
— and keeps each patch's file name (``Positive/00001.jpg``) and a small grey fingerprint for the
near-duplicate check of :mod:`mineguard.terrain.crack_split`. A file that cannot be read is
skipped, logged and listed in ``skipped``; one bad file never blocks the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from mineguard.terrain.raster import TerrainDataError

log = logging.getLogger(__name__)
BAND_NAMES: tuple[str, ...] = ("R", "G", "B")
FINGERPRINT_SIDE = 16
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class CrackFolderConfig:
    """Which sub-folders hold which class, and the patch side (pixels) the images are resized to."""

    positive: str = "Positive"
    negative: str = "Negative"
    size: int = 64

    def __post_init__(self) -> None:
        if self.size < 3:
            raise ValueError(f"size must be at least 3 pixels, got {self.size}")
        if self.positive == self.negative:
            raise ValueError(f"the positive and negative folders must differ, both are {self.positive!r}")


@dataclass(frozen=True)
class CrackPatches:
    """``X`` (N, 3, s, s) float32 RGB in [0, 1]; ``y`` (N,) int64, 1 = crack; ``names`` "class/file";
    ``fingerprints`` (N, 256) float32: 16 x 16 area-downscaled grey, zero mean, unit norm (their dot
    product is the correlation of two patches); ``skipped`` "path: reason" of the unreadable files."""

    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    fingerprints: np.ndarray
    skipped: tuple[str, ...] = ()
    band_names: tuple[str, ...] = BAND_NAMES

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: np.ndarray) -> CrackPatches:
        """The patches at ``index`` (integer positions), same order."""
        index = np.asarray(index, dtype=np.int64)
        names = tuple(self.names[i] for i in index)
        return CrackPatches(self.X[index], self.y[index], names, self.fingerprints[index], self.skipped)

    def counts(self) -> dict[str, int]:
        return {"crack": int(self.y.sum()), "no_crack": int((self.y == 0).sum())}


def fingerprint(grey: Image.Image) -> np.ndarray:
    """(256,) float32: the image as 16 x 16 grey (area), minus its mean, over its norm (0 if flat)."""
    small = np.asarray(grey.resize((FINGERPRINT_SIDE, FINGERPRINT_SIDE), Image.BOX), np.float64).ravel()
    small -= small.mean()
    norm = np.linalg.norm(small)
    return (small / norm if norm > 1e-9 else small).astype(np.float32)


def read_patch(path: Path, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One image -> ((3, size, size) float32 in [0, 1], (256,) fingerprint); raises OSError /
    ``UnidentifiedImageError`` / ``ValueError`` when the file is not a readable image."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    pixels = np.asarray(rgb.resize((size, size), Image.BOX), np.float32) / 255.0
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)), fingerprint(rgb.convert("L"))


def _class_files(root: Path, folder: str, role: str) -> list[Path]:
    path = root / folder
    if not path.is_dir():
        present = sorted(p.name for p in root.iterdir() if p.is_dir())
        raise TerrainDataError(
            f"{path}: the {role} class folder is missing (sub-folders there: {present or 'none'}) — "
            f"put the {role} patches in {folder}/ or name the folder that holds them"
        )
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise TerrainDataError(
            f"{path}: no images ({', '.join(IMAGE_SUFFIXES)}) in the {role} class folder — add the {role} patches"
        )
    return files


def load_crack_patches(root: str | Path, config: CrackFolderConfig | None = None) -> CrackPatches:
    """Read ``root/<positive>/*`` (label 1) and ``root/<negative>/*`` (label 0), file names sorted."""
    config = config or CrackFolderConfig()
    root = Path(root)
    if not root.is_dir():
        raise TerrainDataError(
            f"{root}: no such folder — pass the folder that holds {config.positive}/ and {config.negative}/"
        )
    pixels, fingerprints, labels, names, skipped = [], [], [], [], []
    for folder, label, role in ((config.positive, 1, "positive (crack)"), (config.negative, 0, "negative (no crack)")):
        for path in _class_files(root, folder, role):
            try:
                patch, print_ = read_patch(path, config.size)
            except (OSError, UnidentifiedImageError, ValueError) as exc:
                log.warning("skipping %s: not a readable image (%s)", path, exc)
                skipped.append(f"{path}: {type(exc).__name__}: {exc}")
                continue
            pixels.append(patch)
            fingerprints.append(print_)
            labels.append(label)
            names.append(f"{folder}/{path.name}")
    y = np.asarray(labels, np.int64)
    for label, folder in ((1, config.positive), (0, config.negative)):
        if not (y == label).any():
            raise TerrainDataError(
                f"{root / folder}: none of its images could be read ({len(skipped)} skipped: {skipped[:3]}) — "
                "both classes are needed; replace the broken files"
            )
    if skipped:
        log.warning("%s: %d unreadable image(s) skipped", root, len(skipped))
    return CrackPatches(np.stack(pixels), y, tuple(names), np.stack(fingerprints), tuple(skipped))
