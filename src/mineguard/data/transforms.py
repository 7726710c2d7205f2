"""Geometric and photometric transforms for detection samples, in numpy and OpenCV.

Conventions for every function here:

* image: (H, W, 3) uint8 **RGB** (the data set converts OpenCV's BGR once, on reading);
* boxes: (N, 4) float32 xyxy in pixels of that image;
* class_ids: (N,) int64, kept parallel to ``boxes``;
* randomness comes only from the ``numpy.random.Generator`` passed in, so a seeded generator
  reproduces a sample exactly.

The augmentations are those of the helmet-detection seed paper (random crop, flip, brightness,
blur), plus 4-image mosaic as an option (off by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and strengths of the training augmentations.

    Attributes:
        flip: probability of a horizontal flip.
        crop: probability of a random crop (each side scaled by U(crop_min_scale, 1)).
        brightness: probability of an HSV value gain drawn from U(1 - gain, 1 + gain).
        brightness_gain: the ``gain`` above, in [0, 1).
        blur: probability of a Gaussian blur with an odd kernel in 3..blur_max_kernel.
        mosaic: probability of replacing a sample by a 4-image mosaic.
        underground: probability of one underground corruption (coal dust, low light, cap-lamp
            glare, motion blur, smoke, lens dirt; ``mineguard.data.corruptions``) at a random
            severity, drawn after the photometric augmentations.
        crop_min_scale: smallest crop side as a fraction of the image side, in (0, 1].
        min_visible: a box cut by a crop or mosaic is kept when at least this fraction of its
            area is still inside; it is clipped to the visible part.
        blur_max_kernel: largest Gaussian kernel size (odd, >= 3).
    """

    flip: float = 0.5
    crop: float = 0.3
    brightness: float = 0.5
    brightness_gain: float = 0.3
    blur: float = 0.1
    mosaic: float = 0.0
    underground: float = 0.0
    crop_min_scale: float = 0.5
    min_visible: float = 0.2
    blur_max_kernel: int = 7

    def __post_init__(self) -> None:
        for name in ("flip", "crop", "brightness", "blur", "mosaic", "underground", "min_visible"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"AugmentConfig.{name}={value} must lie in [0, 1]")
        if not 0.0 <= self.brightness_gain < 1.0:
            raise ValueError(f"AugmentConfig.brightness_gain={self.brightness_gain} must lie in [0, 1)")
        if not 0.0 < self.crop_min_scale <= 1.0:
            raise ValueError(f"AugmentConfig.crop_min_scale={self.crop_min_scale} must lie in (0, 1]")
        if self.blur_max_kernel < 3 or self.blur_max_kernel % 2 == 0:
            raise ValueError(f"AugmentConfig.blur_max_kernel={self.blur_max_kernel} must be odd and >= 3")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AugmentConfig:
        """Build from a dict, rejecting unknown keys (typos in experiment configs)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"AugmentConfig: unknown keys {unknown}; known keys are {sorted(known)}")
        return cls(**values)


def letterbox(
    image: np.ndarray, size: int | tuple[int, int], color: int = 114
) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Resize keeping the aspect ratio to fit ``size``, then pad to it.

    ``size`` is a square side or ``(height, width)``: a 16:9 camera at ``(192, 320)`` is a 320x180
    picture padded by 6 rows, where a square 320 input would pad 140 rows the model must still run on.

    Example: a 200x100 (w x h) image to 64 -> ratio 0.32, a 64x32 picture, pad (0, 16).

    Returns:
        image: (height, width, 3) uint8.
        ratio: scale applied to the original, new pixels per original pixel.
        pad: (pad_w, pad_h) pixels added on the left and on the top.
    """
    out_h, out_w = (size, size) if isinstance(size, int) else size
    h, w = image.shape[:2]
    ratio = min(out_h / h, out_w / w)
    new_w, new_h = min(out_w, max(1, round(w * ratio))), min(out_h, max(1, round(h * ratio)))
    if (new_w, new_h) != (w, h):
        interpolation = cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR
        image = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    pad_w, pad_h = (out_w - new_w) // 2, (out_h - new_h) // 2
    out = np.full((out_h, out_w, image.shape[2]), color, dtype=np.uint8)
    out[pad_h : pad_h + new_h, pad_w : pad_w + new_w] = image
    return out, ratio, (pad_w, pad_h)


def letterbox_boxes(boxes: np.ndarray, ratio: float, pad: tuple[int, int]) -> np.ndarray:
    """Map (N, 4) xyxy boxes from the original image into the letterboxed one."""
    out = np.asarray(boxes, dtype=np.float32).reshape(-1, 4) * np.float32(ratio)
    out[:, 0::2] += pad[0]
    out[:, 1::2] += pad[1]
    return out


def scale_boxes_to_original(
    boxes_xyxy: Any, ratio: float, pad: tuple[float, float], orig_shape: tuple[int, int]
) -> Any:
    """Inverse of :func:`letterbox` for boxes: letterboxed pixels -> original-image pixels.

    Works on numpy arrays and torch tensors alike (returns the same type, a new object).

    Args:
        boxes_xyxy: (..., 4) xyxy pixels in the letterboxed image.
        ratio, pad: as returned by :func:`letterbox`.
        orig_shape: (height, width) of the original image; boxes are clipped to it.
    """
    out = boxes_xyxy * 1.0
    out[..., 0::2] -= pad[0]
    out[..., 1::2] -= pad[1]
    out /= ratio
    out[..., 0::2] = out[..., 0::2].clip(0, orig_shape[1])
    out[..., 1::2] = out[..., 1::2].clip(0, orig_shape[0])
    return out


def clip_boxes_to_window(
    boxes: np.ndarray,
    class_ids: np.ndarray,
    window: Sequence[float],
    min_visible: float = 0.2,
    min_size: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Clip boxes to ``window`` (x1, y1, x2, y2) and shift them to its origin.

    A box is kept when its clipped area is at least ``min_visible`` of its full area and the
    clipped box is at least ``min_size`` pixels wide and high.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    x1, y1, x2, y2 = (float(v) for v in window)
    clipped = np.stack(
        [
            boxes[:, 0].clip(x1, x2),
            boxes[:, 1].clip(y1, y2),
            boxes[:, 2].clip(x1, x2),
            boxes[:, 3].clip(y1, y2),
        ],
        axis=1,
    )
    wh = clipped[:, 2:] - clipped[:, :2]
    full = (boxes[:, 2:] - boxes[:, :2]).clip(0).prod(axis=1)
    keep = (wh >= min_size).all(axis=1) & (wh.prod(axis=1) >= min_visible * full)
    clipped = clipped[keep] - np.float32([x1, y1, x1, y1])
    return clipped.astype(np.float32), np.asarray(class_ids)[keep]


def random_flip(
    image: np.ndarray, boxes: np.ndarray, rng: np.random.Generator, *, p: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal flip with probability ``p``: x -> W - x (a box [10, 20, 30, 40] in a 100-wide
    image becomes [70, 20, 90, 40])."""
    if rng.random() >= p:
        return image, boxes
    width = image.shape[1]
    flipped = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).copy()
    flipped[:, [0, 2]] = width - flipped[:, [2, 0]]
    return np.ascontiguousarray(image[:, ::-1]), flipped


def random_crop(
    image: np.ndarray,
    boxes: np.ndarray,
    class_ids: np.ndarray,
    rng: np.random.Generator,
    *,
    p: float = 0.3,
    min_scale: float = 0.5,
    min_visible: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop a random window (each side U(min_scale, 1) of the image) with probability ``p``.

    Boxes keep their clipped part when at least ``min_visible`` of their area is inside.
    The crop is returned at its own size (the data set letterboxes afterwards).
    """
    if rng.random() >= p:
        return image, boxes, class_ids
    h, w = image.shape[:2]
    crop_w = max(1, round(w * rng.uniform(min_scale, 1.0)))
    crop_h = max(1, round(h * rng.uniform(min_scale, 1.0)))
    x0 = int(rng.integers(0, w - crop_w + 1))
    y0 = int(rng.integers(0, h - crop_h + 1))
    kept, kept_ids = clip_boxes_to_window(boxes, class_ids, (x0, y0, x0 + crop_w, y0 + crop_h), min_visible)
    return np.ascontiguousarray(image[y0 : y0 + crop_h, x0 : x0 + crop_w]), kept, kept_ids


def random_brightness(image: np.ndarray, rng: np.random.Generator, *, p: float = 0.5, gain: float = 0.3) -> np.ndarray:
    """Scale the HSV value channel by U(1 - gain, 1 + gain) with probability ``p``."""
    if rng.random() >= p:
        return image
    factor = rng.uniform(1.0 - gain, 1.0 + gain)
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    table = np.clip(np.arange(256) * factor, 0, 255).astype(np.uint8)
    hsv[..., 2] = cv2.LUT(hsv[..., 2], table)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def random_blur(image: np.ndarray, rng: np.random.Generator, *, p: float = 0.1, max_kernel: int = 7) -> np.ndarray:
    """Gaussian blur with an odd kernel drawn from 3..max_kernel, with probability ``p``."""
    if rng.random() >= p:
        return image
    kernel = int(rng.choice(np.arange(3, max_kernel + 1, 2)))
    return cv2.GaussianBlur(image, (kernel, kernel), 0)


def _mosaic_tile(i: int, xc: int, yc: int, w: int, h: int, side: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Canvas region (x1, y1, x2, y2) and image region for tile i (0 TL, 1 TR, 2 BL, 3 BR)."""
    if i == 0:
        a = (max(xc - w, 0), max(yc - h, 0), xc, yc)
        b = (w - (a[2] - a[0]), h - (a[3] - a[1]), w, h)
    elif i == 1:
        a = (xc, max(yc - h, 0), min(xc + w, side), yc)
        b = (0, h - (a[3] - a[1]), a[2] - a[0], h)
    elif i == 2:
        a = (max(xc - w, 0), yc, xc, min(yc + h, side))
        b = (w - (a[2] - a[0]), 0, w, a[3] - a[1])
    else:
        a = (xc, yc, min(xc + w, side), min(yc + h, side))
        b = (0, 0, a[2] - a[0], a[3] - a[1])
    return a, b


def mosaic4(
    images: Sequence[np.ndarray],
    boxes: Sequence[np.ndarray],
    class_ids: Sequence[np.ndarray],
    size: int,
    rng: np.random.Generator,
    *,
    color: int = 114,
    min_visible: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile 4 images around a random centre of a 2S x 2S canvas, then crop and resize to S x S.

    Each image is scaled so its longer side is S. The output window has side U(S, 2S), contains
    the centre, and is resized to S; boxes are clipped to what is visible and kept when at least
    ``min_visible`` of their area (and 1 px each way) remains.

    Returns:
        image (S, S, 3) uint8, boxes (N, 4) float32 xyxy pixels in [0, S], class_ids (N,).
    """
    if not len(images) == len(boxes) == len(class_ids) == 4:
        raise ValueError(f"mosaic4 needs exactly 4 images, boxes and class_ids, got {len(images)}")
    side = 2 * size
    canvas = np.full((side, side, 3), color, dtype=np.uint8)
    xc, yc = (int(rng.uniform(0.5 * size, 1.5 * size)) for _ in range(2))
    crop = round(size * rng.uniform(1.0, 2.0))
    wx = int(rng.integers(max(0, xc - crop), min(side - crop, xc) + 1))
    wy = int(rng.integers(max(0, yc - crop), min(side - crop, yc) + 1))
    out_boxes, out_ids = [], []
    for i, (image, tile_boxes, tile_ids) in enumerate(zip(images, boxes, class_ids, strict=True)):
        h, w = image.shape[:2]
        ratio = size / max(h, w)
        w, h = max(1, round(w * ratio)), max(1, round(h * ratio))
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR)
        a, b = _mosaic_tile(i, xc, yc, w, h, side)
        canvas[a[1] : a[3], a[0] : a[2]] = image[b[1] : b[3], b[0] : b[2]]
        placed = letterbox_boxes(tile_boxes, ratio, (a[0] - b[0], a[1] - b[1]))
        window = (max(a[0], wx), max(a[1], wy), min(a[2], wx + crop), min(a[3], wy + crop))
        if window[2] <= window[0] or window[3] <= window[1]:
            continue
        kept, kept_ids = clip_boxes_to_window(placed, tile_ids, window, min_visible, min_size=0.0)
        out_boxes.append(kept + np.float32([window[0] - wx, window[1] - wy] * 2))
        out_ids.append(kept_ids)
    scale = size / crop
    image = cv2.resize(canvas[wy : wy + crop, wx : wx + crop], (size, size), interpolation=cv2.INTER_AREA)
    merged = np.concatenate(out_boxes).reshape(-1, 4) * np.float32(scale) if out_boxes else np.zeros((0, 4))
    ids = np.concatenate(out_ids) if out_ids else np.zeros(0, dtype=np.int64)
    big_enough = ((merged[:, 2:] - merged[:, :2]) >= 1.0).all(axis=1)
    return image, merged[big_enough].astype(np.float32), ids[big_enough].astype(np.int64)
