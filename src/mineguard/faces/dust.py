"""Synthetic coal-dust occlusion of aligned face crops, for robustness tests and training augmentation.

Seed 002 (§3.2, §4) builds its miner-face set with three levels — no, light and heavy coal-ash obscuration —
and tests recognition of such faces in a dugout tunnel; no public data set has them, so this module draws
them. The model, applied in this order to a uint8 face crop with a severity ``s`` in [0, 1]:

1. **Dust film / haze** — the whole image is blended towards a dark coal grey ``DUST_GREY`` (35) with weight
   ``0.45 s``: lower contrast and darker, as through a dusty lens in poor light.
2. **Smudges** — dark (grey 10–35), Gaussian-blurred, semi-transparent (opacity ``s`` x U(0.55, 0.95))
   elliptical blobs where hands wipe and dust sticks: each eye region (35–45 % of the height, 30 % and 70 % of
   the width), the nose (55–65 %, centre) and the mouth (75–85 %, centre), each drawn with probability
   ``min(1, 0.3 + s)``, plus ``round(3 s)`` smudges anywhere on the face. Blob radii grow with ``s``.
3. **Particulate speckle** — ``s * H * W / 60`` dark dots (grey 0–40) of radius 0.5–2.5 % of the face side,
   each with opacity U(0.5, 1): coal particles on the skin and the lens.
4. **Cap-lamp glare** — with probability ``0.6 s``, a bright radial Gaussian spot (peak +50..+110 grey levels
   times ``s``, sigma 10–25 % of the side) at a random position: the miner's own or a neighbour's cap lamp.

The relative positions assume an aligned crop (``align.align_face``: eyes level, face filling the square).
Levels: ``"none"`` (s = 0, image returned unchanged as a copy), ``"light"`` (0.35), ``"heavy"`` (0.75); the
contrast (grey-level std) falls and the share of changed pixels rises with ``s`` (tested on ORL faces).
Every random draw comes from the ``numpy.random.Generator`` passed in (or ``seed``), so results reproduce.
Works on grey ``(H, W)`` and BGR ``(H, W, 3)`` uint8; colour images get the same, neutral grey dust.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Literal

import cv2
import numpy as np

from mineguard.faces.image import validate_image

DustLevel = Literal["none", "light", "heavy"]
#: Severity of each level of seed 002's miner-face set.
DUST_SEVERITY: MappingProxyType[str, float] = MappingProxyType({"none": 0.0, "light": 0.35, "heavy": 0.75})
DUST_GREY = 35.0  # grey level of the coal film the image is blended towards
#: Regions smudged on purpose, as (centre x, centre y) fractions of the aligned crop (seed 002 §4: eyes, mouth).
FACE_REGIONS: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {"left_eye": (0.30, 0.40), "right_eye": (0.70, 0.40), "nose": (0.50, 0.60), "mouth": (0.50, 0.80)}
)


def severity_of(level: DustLevel | str) -> float:
    """The severity of a named level; raises ``ValueError`` naming the valid levels."""
    if level not in DUST_SEVERITY:
        raise ValueError(f"unknown coal-dust level {level!r}; use one of {', '.join(DUST_SEVERITY)}")
    return DUST_SEVERITY[level]


def _blend(canvas: np.ndarray, alpha: np.ndarray, value: np.ndarray | float) -> np.ndarray:
    """canvas (H, W) float32 blended towards ``value`` with per-pixel weight ``alpha`` in [0, 1]."""
    return canvas * (1.0 - alpha) + alpha * value


def _smudges(height: int, width: int, severity: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Opacity (H, W) and colour (H, W) of the dark blobs over eyes, nose, mouth and random spots."""
    opacity = np.zeros((height, width), np.float32)
    colour = np.full((height, width), DUST_GREY, np.float32)
    side = min(height, width)
    centres = [c for c in FACE_REGIONS.values() if rng.random() < min(1.0, 0.3 + severity)]
    centres += [(rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.9)) for _ in range(round(3 * severity))]
    for fx, fy in centres:
        blob = np.zeros((height, width), np.float32)
        cx = round((fx + rng.normal(0, 0.03)) * width)
        cy = round((fy + rng.normal(0, 0.02)) * height)
        axes = (
            max(1, int(side * rng.uniform(0.06, 0.10) * (0.6 + severity))),
            max(1, int(side * rng.uniform(0.03, 0.06) * (0.6 + severity))),
        )
        cv2.ellipse(blob, (cx, cy), axes, float(rng.uniform(-30, 30)), 0, 360, 1.0, -1)
        sigma = max(0.8, 0.35 * axes[1])
        blob = cv2.GaussianBlur(blob, (0, 0), sigma) * (severity * rng.uniform(0.55, 0.95))
        colour = np.where(blob > opacity, np.float32(rng.uniform(10, 35)), colour)
        opacity = np.maximum(opacity, blob)
    return np.clip(opacity, 0.0, 1.0), colour


def _speckle(height: int, width: int, severity: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Opacity (H, W) and grey level (H, W) of dark particles."""
    opacity = np.zeros((height, width), np.float32)
    colour = np.zeros((height, width), np.float32)
    side = min(height, width)
    for _ in range(int(severity * height * width / 60)):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        radius = round(side * rng.uniform(0.005, 0.025))
        cv2.circle(opacity, (x, y), radius, float(rng.uniform(0.5, 1.0)), -1)
        cv2.circle(colour, (x, y), radius, float(rng.uniform(0, 40)), -1)
    return opacity, colour


def _glare(height: int, width: int, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Additive brightness (H, W) of a cap-lamp reflection, zero when no glare is drawn."""
    if rng.random() >= 0.6 * severity:
        return np.zeros((height, width), np.float32)
    side = min(height, width)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    sigma = side * rng.uniform(0.10, 0.25)
    peak = severity * rng.uniform(50, 110)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    return (peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))).astype(np.float32)


def add_coal_dust(
    image: np.ndarray,
    *,
    level: DustLevel | None = None,
    severity: float | None = None,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Return a copy of an aligned face crop covered in synthetic coal dust (see the module docstring).

    Args:
        image: ``(H, W)`` grey or ``(H, W, 3)`` BGR uint8 face crop.
        level: ``"none"``, ``"light"`` or ``"heavy"``; give this or ``severity``.
        severity: dust amount in [0, 1].
        rng: the random generator; ``seed`` builds one when ``rng`` is None (both None: fresh entropy).

    Returns:
        Array of the same shape and dtype uint8.
    """
    validate_image(image)
    if (level is None) == (severity is None):
        raise ValueError("give exactly one of level= ('none', 'light', 'heavy') or severity= (0..1)")
    s = severity_of(level) if level is not None else float(severity)  # type: ignore[arg-type]
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"coal-dust severity {s} must lie in [0, 1]")
    if s == 0.0:
        return image.copy()
    rng = rng if rng is not None else np.random.default_rng(seed)
    height, width = image.shape[:2]
    smudge_alpha, smudge_grey = _smudges(height, width, s, rng)
    speck_alpha, speck_grey = _speckle(height, width, s, rng)
    glare = _glare(height, width, s, rng)
    out = image.astype(np.float32)
    layers = [out] if out.ndim == 2 else [out[:, :, c] for c in range(out.shape[2])]
    result = []
    for channel in layers:
        channel = _blend(channel, np.float32(0.45 * s), DUST_GREY)
        channel = _blend(channel, smudge_alpha, smudge_grey)
        channel = _blend(channel, speck_alpha, speck_grey)
        result.append(channel + glare)
    stacked = result[0] if out.ndim == 2 else np.stack(result, axis=2)
    return np.clip(np.rint(stacked), 0, 255).astype(np.uint8)


class CoalDust:
    """Training augmentation: with probability ``p``, cover a numpy face crop in coal dust.

    Usable like a torchvision transform on numpy images (``Compose([CoalDust("light", p=0.5), ...])``).

    Args:
        level: a fixed level (``"none"``, ``"light"``, ``"heavy"``), or
        severity: a ``(low, high)`` range in [0, 1] the severity is drawn from uniformly per call.
        p: probability of applying the dust at all.
        seed: seed of the transform's own generator (None: fresh entropy); ``__call__`` may also be given
            an ``rng`` to control randomness from outside.
    """

    def __init__(
        self,
        level: DustLevel | None = None,
        *,
        severity: Sequence[float] | None = None,
        p: float = 0.5,
        seed: int | None = None,
    ) -> None:
        if (level is None) == (severity is None):
            raise ValueError("CoalDust needs exactly one of level= or severity=(low, high)")
        if level is not None:
            low = high = severity_of(level)
        else:
            low, high = (float(v) for v in severity)  # type: ignore[union-attr]
        if not 0.0 <= low <= high <= 1.0 or not 0.0 <= p <= 1.0:
            raise ValueError(f"CoalDust needs 0 <= low <= high <= 1 and p in [0, 1]; got ({low}, {high}), p={p}")
        self.level, self.severity_range, self.p = level, (low, high), p
        self._rng = np.random.default_rng(seed)

    def __call__(self, image: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Dusty copy of ``image`` (or an unchanged copy when the coin says no)."""
        rng = rng if rng is not None else self._rng
        if rng.random() >= self.p:
            return validate_image(image).copy()
        low, high = self.severity_range
        return add_coal_dust(image, severity=float(rng.uniform(low, high)), rng=rng)

    def __repr__(self) -> str:
        what = f"level={self.level!r}" if self.level is not None else f"severity={self.severity_range}"
        return f"{type(self).__name__}({what}, p={self.p})"
