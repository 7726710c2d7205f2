"""Synthetic cap-lamp side light and low light on aligned face crops (issue #16).

Underground the only light on a face is usually a cap lamp — the miner's own from above, or a
neighbour's from one side — so faces are lit from one side and dark on the other, and often dim
overall. No public set has such faces; this module draws them, next to ``faces.dust``.

The model, on a uint8 crop of width W with a lit ``side`` ("left" or "right") and parameters
``(strength s, brightness b, noise sigma n)``::

    t(x)    = x / (W - 1)          (0 on the lit side, 1 on the far side; mirrored for "right")
    gain(x) = max(0.05, 1 + s * (0.4 - 1.3 t(x)))   lit side up to +40 % s, far side down to 1 - 0.9 s
    out     = clip(round(image * b * gain(x) + N(0, n)), 0, 255)

Levels (``LIGHT_LEVELS``): ``"none"`` (s 0, b 1, n 0: the image unchanged, as a copy),
``"side"`` (s 0.8, b 1.0, n 0: a strong one-sided lamp) and ``"low"`` (s 0.6, b 0.35, n 3:
a dim side lamp with sensor noise). The lit side is drawn from the generator unless given, so a
seed fixes it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, NamedTuple

import numpy as np

from mineguard.faces.image import validate_image

Side = Literal["left", "right"]


class LightSetting(NamedTuple):
    strength: float  # s: how much darker the far side is (0 = even light)
    brightness: float  # b: overall gain (1 = as photographed)
    noise: float  # n: sensor noise standard deviation, grey levels


LIGHT_LEVELS: MappingProxyType[str, LightSetting] = MappingProxyType(
    {"none": LightSetting(0.0, 1.0, 0.0), "side": LightSetting(0.8, 1.0, 0.0), "low": LightSetting(0.6, 0.35, 3.0)}
)


def light_setting(level: str) -> LightSetting:
    """The setting of a named level; ``ValueError`` naming the valid levels otherwise."""
    if level not in LIGHT_LEVELS:
        raise ValueError(f"unknown lighting level {level!r}; use one of {', '.join(LIGHT_LEVELS)}")
    return LIGHT_LEVELS[level]


def side_gain(width: int, strength: float, side: Side = "left") -> np.ndarray:
    """The per-column gain (W,) float32 of the module docstring."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    t = np.linspace(0.0, 1.0, width, dtype=np.float32) if width > 1 else np.zeros(1, np.float32)
    gain = np.maximum(0.05, 1.0 + strength * (0.4 - 1.3 * t)).astype(np.float32)
    return gain if side == "left" else gain[::-1].copy()


def add_side_light(
    image: np.ndarray,
    *,
    level: str | None = None,
    setting: LightSetting | None = None,
    side: Side | None = None,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Copy of a grey ``(H, W)`` or BGR ``(H, W, 3)`` uint8 crop under side / low light.

    Give ``level`` (a name of ``LIGHT_LEVELS``) or ``setting``; ``side`` None draws it from ``rng``
    (or ``seed``).
    """
    validate_image(image)
    if (level is None) == (setting is None):
        raise ValueError("give exactly one of level= ('none', 'side', 'low') or setting=LightSetting(...)")
    s = light_setting(level) if level is not None else LightSetting(*setting)  # type: ignore[misc]
    if s.strength < 0 or s.brightness < 0 or s.noise < 0:
        raise ValueError(f"lighting strength, brightness and noise must be >= 0, got {tuple(s)}")
    if s == LightSetting(0.0, 1.0, 0.0):
        return image.copy()
    rng = rng if rng is not None else np.random.default_rng(seed)
    chosen: Side = side if side is not None else ("left" if rng.random() < 0.5 else "right")
    gain = side_gain(image.shape[1], s.strength, chosen) * np.float32(s.brightness)
    gain = gain[None, :, None] if image.ndim == 3 else gain[None, :]
    out = image.astype(np.float32) * gain
    if s.noise > 0:
        out += rng.normal(0.0, s.noise, size=out.shape).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


class SideLight:
    """Training augmentation: with probability ``p``, light a crop from a random side with a strength
    drawn from ``strength`` and a brightness from ``brightness`` (uniform ranges)."""

    def __init__(
        self,
        *,
        strength: tuple[float, float] = (0.2, 0.9),
        brightness: tuple[float, float] = (0.3, 1.1),
        noise: float = 3.0,
        p: float = 0.5,
    ) -> None:
        if not 0.0 <= p <= 1.0 or strength[0] > strength[1] or brightness[0] > brightness[1]:
            raise ValueError(f"SideLight needs p in [0, 1] and (low, high) ranges, got {strength}, {brightness}, p={p}")
        self.strength, self.brightness, self.noise, self.p = strength, brightness, noise, p

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if rng.random() >= self.p:
            return image
        setting = LightSetting(
            float(rng.uniform(*self.strength)), float(rng.uniform(*self.brightness)), float(rng.uniform(0, self.noise))
        )
        return add_side_light(image, setting=setting, rng=rng)
