"""Reading face images from disk and converting them to grey, for enrolment and identification.

Conventions used by the whole ``mineguard.faces`` package:

* an image is a numpy ``uint8`` array, either grey ``(H, W)`` or OpenCV **BGR** ``(H, W, 3)``;
* pixel coordinates are ``x`` to the right, ``y`` down, origin at the top-left corner;
* user input that cannot be used raises ``FaceImageError`` (a ``ValueError``) with a reason code and the file
  name; a wrong array from calling code (float dtype, 5 channels) raises a plain ``ValueError``.

Files are decoded with ``cv2.imdecode`` from bytes read by numpy, so non-ASCII paths work on every platform and
a truncated or corrupt file is reported instead of silently returning ``None`` as ``cv2.imread`` does.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import cv2
import numpy as np

from mineguard.faces.errors import FaceImageError

#: File suffixes the loader is documented for; OpenCV may read others (BMP, TIFF, WebP) too.
FACE_IMAGE_SUFFIXES: tuple[str, ...] = (".pgm", ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def load_image(path: str | PathLike[str]) -> np.ndarray:
    """Read a face image file as uint8 grey ``(H, W)`` or BGR ``(H, W, 3)``.

    Grey files (PGM, grey PNG/JPG) stay single-channel; colour files come back as BGR with any alpha channel
    dropped; 16-bit files are scaled to 8 bits.

    Args:
        path: PGM, PNG or JPG file (anything ``cv2.imdecode`` reads).

    Returns:
        ``(H, W)`` or ``(H, W, 3)`` uint8 array.

    Raises:
        FaceImageError: reason ``"unreadable"``, naming the file, when it is missing, a folder, empty (0 bytes)
            or not a decodable image (corrupt, truncated, wrong format behind the suffix).
    """
    file = Path(path)
    name = str(path)
    if not file.exists():
        raise FaceImageError("unreadable", "file not found", path=name, fix="check the path and the file name")
    if not file.is_file():
        raise FaceImageError(
            "unreadable",
            "is a folder, not an image file",
            path=name,
            fix="pass one image file (PGM/PNG/JPG), not the folder",
        )
    try:
        data = np.fromfile(file, dtype=np.uint8)
    except OSError as exc:
        raise FaceImageError(
            "unreadable",
            f"cannot be read ({exc.strerror or exc})",
            path=name,
            fix="check the file permissions and that the disk is mounted",
        ) from exc
    if data.size == 0:
        raise FaceImageError(
            "unreadable",
            "empty file (0 bytes)",
            path=name,
            fix="the copy or the camera upload failed: copy the image again",
        )
    image = cv2.imdecode(data, cv2.IMREAD_ANYCOLOR)
    if image is None or image.size == 0:
        raise FaceImageError(
            "unreadable",
            f"not a decodable image ({data.size} bytes; corrupt, truncated or not PGM/PNG/JPG)",
            path=name,
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return np.ascontiguousarray(validate_image(image))


def validate_image(image: np.ndarray) -> np.ndarray:
    """Check that ``image`` is a uint8 ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` array.

    Returns the array unchanged. Raises ``ValueError`` (a programming error, not bad user data) otherwise.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy image array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype}: convert with np.clip(...).astype(np.uint8)")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3, 4)):
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise ValueError(f"image has an empty side: shape {image.shape}")
        return image
    raise ValueError(f"expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {image.shape}")


def to_grey(image: np.ndarray) -> np.ndarray:
    """Convert a uint8 grey, BGR or BGRA image to grey ``(H, W)`` uint8 (ITU-R BT.601 weights, as OpenCV).

    A grey input is returned as is (no copy); ``(H, W, 1)`` is squeezed.
    """
    validate_image(image)
    if image.ndim == 2:
        return image
    channels = image.shape[2]
    if channels == 1:
        return image[:, :, 0]
    code = cv2.COLOR_BGR2GRAY if channels == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(image, code)


def crop(image: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """Return the part of ``image`` inside the box ``(x, y, w, h)`` in pixels, clipped to the image (a view).

    Raises ``ValueError`` when the box lies completely outside the image.
    """
    validate_image(image)
    height, width = image.shape[:2]
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(width, int(x) + int(w)), min(height, int(y) + int(h))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box (x={x}, y={y}, w={w}, h={h}) lies outside the {width}x{height} image")
    return image[y0:y1, x0:x1]
