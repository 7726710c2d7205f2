"""Image files: which suffixes count as images, a fast readability probe and an RGB reader."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mineguard.data.errors import DatasetError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})

# EXIF orientations that rotate by 90° (width and height swap once the image is upright).
_EXIF_ORIENTATION_TAG = 0x0112
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class SkippedImage:
    """An image left out of a data set, and why (e.g. ``corrupt image (...)``)."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def is_image_file(path: Path) -> bool:
    """True when ``path`` has one of :data:`IMAGE_SUFFIXES` (case-insensitive)."""
    return path.suffix.lower() in IMAGE_SUFFIXES


def probe_image(path: Path) -> tuple[int, int]:
    """Check that ``path`` is a readable image without decoding it fully.

    Uses ``PIL.Image.verify`` (header and structure check; cheap) and returns the size of the
    upright image, i.e. after the EXIF orientation that ``cv2.imread`` applies.

    Returns:
        (width, height) in pixels.

    Raises:
        OSError: with a short reason when the file is missing, truncated or not an image.
    """
    try:
        with Image.open(path) as im:
            width, height = im.size
            im.verify()
        with Image.open(path) as im:  # verify() leaves the file unusable; reopen for EXIF
            orientation = im.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except FileNotFoundError as exc:
        raise OSError("file not found") from exc
    except UnidentifiedImageError as exc:
        raise OSError("not a readable image (unknown or corrupt format)") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # PIL raises these for broken files
        raise OSError(f"corrupt image ({exc})") from exc
    if width <= 0 or height <= 0:
        raise OSError(f"image has zero size {width}x{height}")
    if orientation in _TRANSPOSED_ORIENTATIONS:
        width, height = height, width
    return width, height


def read_rgb(path: Path) -> np.ndarray:
    """Read an image as an upright (H, W, 3) uint8 RGB array.

    Tries OpenCV first (fast) and falls back to PIL for files OpenCV refuses.

    Raises:
        DatasetError: naming the file when neither reader can decode it.
    """
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is not None:
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    try:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(
            f"{path}: image cannot be decoded ({exc}) — replace or delete the file and rerun 'mineguard data validate'"
        ) from exc


def link_or_copy(source: Path, target: Path, *, copy: bool = False) -> None:
    """Place ``source`` at ``target`` as a symlink (default) or a copy; the source is never touched.

    An existing file or link at ``target`` is replaced. Symlinks point at the absolute,
    resolved source so the new folder can be read from any working directory.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        target.unlink()
    if copy:
        shutil.copy2(source, target)
    else:
        target.symlink_to(Path(source).resolve())
