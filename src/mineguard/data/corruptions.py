"""Underground image corruptions for detector robustness tests and training augmentation.

A detector trained on surface photos meets, underground, airborne coal dust, little light, cap
lamps shining into the lens, blur from moving machines and people, smoke from a fire and a dirty
lens. No labelled underground set exists here, so these are drawn on labelled surface images:
the same boxes stay valid (no transform moves a pixel's position). Six corruptions, each at
severities 1 (mild) to 3 (severe), on RGB or BGR ``(H, W, 3)`` uint8 scenes:

- ``coal_dust``: the scene seen through a dark grey veil (blend weight 0.20 / 0.35 / 0.50 towards
  grey 55), contrast lost, plus airborne particles lit by lamps (bright specks, ``s x 0.02 %`` of
  the pixels).
- ``low_light``: exposure scaled by 0.45 / 0.25 / 0.12 with a gamma lift, colour mostly lost
  (saturation x 0.6 / 0.4 / 0.2, as an IR-leaning CCTV) and sensor noise (sigma 3 / 6 / 10 levels).
- ``glare``: 1 / 2 / 3 cap lamps, each a saturated core with a wide bloom (peak +150 / +200 /
  +255), placed at random.
- ``motion_blur``: a line kernel 1.5 / 3 / 5 % of the image width long at a random angle.
- ``smoke``: a light grey haze (weight 0.25 / 0.45 / 0.65 towards grey 190) modulated by
  low-frequency noise, so it is patchy as real smoke is.
- ``lens_dirt``: 4 / 8 / 14 blurred dark-brown blobs (radius 2-8 % of the short side, opacity
  0.5-0.9) that stay where they are, as dirt on the housing window.

Face crops have their own, face-aware dust model (``mineguard.faces.dust``); this module is for
whole camera scenes. Every draw comes from the generator passed in (or ``seed``), so a benchmark is
repeatable: ``corrupt(image, "smoke", 2, seed=7)`` is the same image every time.
"""

from __future__ import annotations

from types import MappingProxyType

import cv2
import numpy as np

from mineguard.registry import Registry

CORRUPTIONS = Registry[np.ndarray]("underground corruption")
SEVERITIES = (1, 2, 3)
#: Per-severity parameters, one tuple per corruption, indexed by severity - 1.
LEVELS: MappingProxyType[str, tuple[float, float, float]] = MappingProxyType(
    {
        "coal_dust": (0.20, 0.35, 0.50),
        "low_light": (0.45, 0.25, 0.12),
        "glare": (150.0, 200.0, 255.0),
        "motion_blur": (0.015, 0.03, 0.05),
        "smoke": (0.25, 0.45, 0.65),
        "lens_dirt": (4.0, 8.0, 14.0),
    }
)


def _level(name: str, severity: int) -> float:
    return LEVELS[name][severity - 1]


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _smooth_noise(height: int, width: int, rng: np.random.Generator, cells: int = 6) -> np.ndarray:
    """Low-frequency noise in [0, 1], (H, W) float32: a coarse random grid upsampled smoothly."""
    coarse = rng.random((cells, cells)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)


@CORRUPTIONS.register("coal_dust")
def coal_dust(*, image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    weight = _level("coal_dust", severity)
    h, w = image.shape[:2]
    out = image.astype(np.float32) * (1.0 - weight) + 55.0 * weight
    count = int(severity * h * w * 0.0002)
    ys, xs = rng.integers(0, h, count), rng.integers(0, w, count)
    radius = max(1, round(min(h, w) * 0.003))
    specks = np.zeros((h, w), np.float32)
    for x, y, value in zip(xs, ys, rng.uniform(0.4, 1.0, count), strict=True):
        cv2.circle(specks, (int(x), int(y)), radius, float(value), -1)
    specks = cv2.GaussianBlur(specks, (0, 0), max(0.6, radius * 0.7))[..., None]
    return _to_uint8(out * (1.0 - specks) + 235.0 * specks)


@CORRUPTIONS.register("low_light")
def low_light(*, image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    gain = _level("low_light", severity)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None]
    keep_colour = (0.6, 0.4, 0.2)[severity - 1]
    out = grey + keep_colour * (image.astype(np.float32) - grey)
    out = 255.0 * (out / 255.0) ** 1.2 * gain
    out += rng.normal(0.0, (3.0, 6.0, 10.0)[severity - 1], out.shape[:2])[..., None]
    return _to_uint8(out)


@CORRUPTIONS.register("glare")
def glare(*, image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    peak = _level("glare", severity)
    h, w = image.shape[:2]
    side = min(h, w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = np.zeros((h, w), np.float32)
    for _ in range(severity):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        d2 = (xx - cx) ** 2 + (yy - cy) ** 2
        core, bloom = side * rng.uniform(0.02, 0.04), side * rng.uniform(0.10, 0.22)
        light += peak * (np.exp(-d2 / (2 * core**2)) + 0.55 * np.exp(-d2 / (2 * bloom**2)))
    return _to_uint8(image.astype(np.float32) + light[..., None])


@CORRUPTIONS.register("motion_blur")
def motion_blur(*, image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    length = max(3, round(image.shape[1] * _level("motion_blur", severity)) | 1)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    turn = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), float(rng.uniform(0, 180)), 1.0)
    kernel = cv2.warpAffine(kernel, turn, (length, length))
    kernel /= max(float(kernel.sum()), 1e-6)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)


@CORRUPTIONS.register("smoke")
def smoke(*, image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    weight = _level("smoke", severity) * (0.6 + 0.8 * _smooth_noise(h, w, rng))[..., None]
    weight = weight.clip(0.0, 0.95)
    return _to_uint8(image.astype(np.float32) * (1.0 - weight) + 190.0 * weight)


@CORRUPTIONS.register("lens_dirt")
def lens_dirt(*, image: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    side = min(h, w)
    opacity = np.zeros((h, w), np.float32)
    for _ in range(int(_level("lens_dirt", severity))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        radius = max(2, round(side * rng.uniform(0.02, 0.08)))
        blob = np.zeros((h, w), np.float32)
        cv2.circle(blob, centre, radius, float(rng.uniform(0.5, 0.9)), -1)
        opacity = np.maximum(opacity, cv2.GaussianBlur(blob, (0, 0), radius * 0.5))
    dirt = np.float32([58, 45, 35])  # a dark brown, the same in RGB and BGR up to a tint
    return _to_uint8(image.astype(np.float32) * (1.0 - opacity[..., None]) + dirt * opacity[..., None])


def corrupt(
    image: np.ndarray,
    name: str,
    severity: int,
    *,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """A corrupted copy of ``image`` (``(H, W, 3)`` uint8): corruption ``name`` at ``severity`` 1-3.

    Raises:
        ValueError: an unknown corruption (the message lists the known ones), a severity outside
            1-3, or an image that is not (H, W, 3) uint8.
    """
    if severity not in SEVERITIES:
        raise ValueError(f"corruption severity must be one of {SEVERITIES}, got {severity!r}")
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
        shape = getattr(image, "shape", None)
        raise ValueError(f"corrupt() needs an (H, W, 3) uint8 image, got {type(image).__name__} of shape {shape}")
    if rng is None:
        rng = np.random.default_rng(seed)
    return CORRUPTIONS.build(name, image=image, severity=severity, rng=rng)


def random_corruption(image: np.ndarray, rng: np.random.Generator, *, p: float) -> np.ndarray:
    """Training augmentation: with probability ``p``, one corruption drawn uniformly at a uniform severity."""
    if p <= 0.0 or rng.random() >= p:
        return image
    names = CORRUPTIONS.names()
    name = names[int(rng.integers(0, len(names)))]
    return corrupt(image, name, int(rng.integers(1, 4)), rng=rng)
