"""Illumination normalisation of a face crop: the last step of ``FacePreparer`` (issue #16).

One home for it, switchable by name (``ILLUMINATION_METHODS``):

* ``"none"`` — the crop as aligned;
* ``"clahe"`` — contrast-limited adaptive histogram equalisation (Zuiderveld 1994; OpenCV,
  clip limit 2.0 on 8x8 tiles): lifts the dark side of a side-lit face;
* ``"tan-triggs"`` — the preprocessing chain of Tan & Triggs, "Enhanced local texture feature
  sets for face recognition under difficult lighting conditions", IEEE TIP 2010, §III: gamma
  correction (gamma 0.2), difference of Gaussians (sigma 1 and 2 px), two-stage contrast
  equalisation (alpha 0.1, tau 10) and ``tau * tanh(I / tau)``, mapped back to 0..255. It is
  invariant to a global gain (a dimmer or brighter lamp), up to rounding;
* ``"dedust"`` — speckle inpainting, dark-veil restoration and CLAHE (``faces.dedust``).

Every method takes and returns a grey ``(H, W)`` uint8 image of the same size.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from mineguard.faces.dedust import dedust
from mineguard.faces.image import to_grey, validate_image


def _clahe(grey: np.ndarray) -> np.ndarray:
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(grey)


def tan_triggs(
    grey: np.ndarray,
    *,
    gamma: float = 0.2,
    sigma0: float = 1.0,
    sigma1: float = 2.0,
    alpha: float = 0.1,
    tau: float = 10.0,
) -> np.ndarray:
    """Tan & Triggs 2010 §III on a grey uint8 image; returns uint8 (tau * tanh mapped to 0..255)."""
    x = np.power(grey.astype(np.float32) + 1.0, gamma)  # +1: log-like, defined at 0
    x = cv2.GaussianBlur(x, (0, 0), sigma0) - cv2.GaussianBlur(x, (0, 0), sigma1)
    x = x / (np.mean(np.abs(x) ** alpha) ** (1.0 / alpha) + 1e-8)
    x = x / (np.mean(np.minimum(np.abs(x), tau) ** alpha) ** (1.0 / alpha) + 1e-8)
    x = tau * np.tanh(x / tau)
    return np.clip(np.rint((x + tau) * (255.0 / (2 * tau))), 0, 255).astype(np.uint8)


ILLUMINATION_METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda grey: grey,
    "clahe": _clahe,
    "tan-triggs": tan_triggs,
    "dedust": dedust,
}


def check_method(method: str) -> str:
    if method not in ILLUMINATION_METHODS:
        raise ValueError(f"unknown illumination normalisation {method!r}; use one of {', '.join(ILLUMINATION_METHODS)}")
    return method


def normalise_illumination(image: np.ndarray, method: str = "none") -> np.ndarray:
    """Grey ``(H, W)`` uint8 copy of ``image`` (grey or BGR) normalised by ``method``."""
    fn = ILLUMINATION_METHODS[check_method(method)]
    return np.ascontiguousarray(fn(to_grey(validate_image(image)))).copy()
