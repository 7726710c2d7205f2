"""De-dusting of a face crop before embedding: undo what can honestly be undone of coal dust (issue #16).

``faces.dust`` draws coal dust as a dark veil (the image blended towards coal grey), dark smudges,
dark particle speckle and cap-lamp glare. Nothing here knows a crop's dust level or the random
draws; :func:`dedust` estimates from the crop alone, in three steps on a grey uint8 image:

1. **Speckle** — dark specks smaller than ``speck_px`` are found as pixels at least ``speck_delta``
   grey levels below the image's morphological closing (ellipse ``speck_px``), and inpainted from
   their surroundings (Telea 2004, OpenCV). Pupils and nostrils larger than a speck survive.
2. **Veil** — the dark-channel prior of He, Sun & Tang, "Single image haze removal using dark
   channel prior", CVPR 2009, turned over for a *dark* veil: haze lifts the darkest patch of a
   clear image above zero; coal dust pulls the brightest patch of a lit face below its level.
   Airlight ``A`` = the 1st percentile of the 5x5 box-filtered crop (the veil's dark grey);
   the "bright channel" ``b(x)`` = the local maximum over a square patch ``patch`` x the side,
   Gaussian-smoothed; transmission ``t(x) = clip((b(x) - A) / (bright - A), t_min, 1)``, so
   a face whose bright skin reaches ``bright`` is left alone, a veiled or smudged region is
   lifted; the scene ``J = (I - A) / t + A`` (He et al. Eq. 22).
3. **Local contrast normalisation** — CLAHE (Zuiderveld 1994, clip limit 2, 8x8 tiles), as
   ``faces.illumination``'s ``clahe``, on the restored crop (``local_contrast=False`` skips it).

Glare (an additive bright spot) is not removed. Apply the same step to gallery and probe crops:
``normalise_illumination(crop, "dedust")`` or ``FacePreparer(illumination="dedust")``.
"""

from __future__ import annotations

import cv2
import numpy as np

from mineguard.faces.image import to_grey, validate_image


def remove_speckle(grey: np.ndarray, *, speck_px: int = 7, speck_delta: float = 20.0) -> np.ndarray:
    """(H, W) uint8 with dark specks below ``speck_px`` px inpainted (step 1 of the module docstring)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (speck_px, speck_px))
    closed = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, kernel)
    mask = ((closed.astype(np.int16) - grey) > speck_delta).astype(np.uint8)
    return cv2.inpaint(grey, mask, 3, cv2.INPAINT_TELEA) if mask.any() else grey.copy()


def restore_veil(
    grey: np.ndarray, *, bright: float = 235.0, patch: float = 0.15, t_min: float = 0.4
) -> tuple[np.ndarray, np.ndarray]:
    """Dark-veil restoration (step 2): ``(restored (H, W) uint8, transmission (H, W) float32 in [t_min, 1])``."""
    x = grey.astype(np.float32)
    airlight = min(float(np.percentile(cv2.blur(x, (5, 5)), 1)), bright - 1.0)
    side = max(3, int(min(grey.shape) * patch) | 1)
    local_max = cv2.dilate(x, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    local_max = cv2.GaussianBlur(local_max, (0, 0), side / 2)
    t = np.clip((local_max - airlight) / (bright - airlight), t_min, 1.0).astype(np.float32)
    restored = (x - airlight) / t + airlight
    return np.clip(np.rint(restored), 0, 255).astype(np.uint8), t


def dedust(
    image: np.ndarray,
    *,
    speck_px: int = 7,
    speck_delta: float = 20.0,
    bright: float = 235.0,
    patch: float = 0.15,
    t_min: float = 0.4,
    local_contrast: bool = True,
) -> np.ndarray:
    """Grey ``(H, W)`` uint8 de-dusted copy of a grey or BGR uint8 face crop (see the module docstring).

    Raises ``ValueError`` for a non-uint8 or badly shaped image, or parameters out of range.
    """
    grey = to_grey(validate_image(image))
    if speck_px < 3 or speck_px % 2 == 0:
        raise ValueError(f"dedust: speck_px {speck_px} must be an odd number of pixels >= 3")
    if not 0.0 < t_min <= 1.0 or not 0.0 < patch <= 1.0 or not 0.0 < bright <= 255.0:
        raise ValueError(
            f"dedust: need 0 < t_min <= 1, 0 < patch <= 1, 0 < bright <= 255; got {t_min}, {patch}, {bright}"
        )
    out, _ = restore_veil(
        remove_speckle(grey, speck_px=speck_px, speck_delta=speck_delta), bright=bright, patch=patch, t_min=t_min
    )
    if local_contrast:
        out = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(out)
    return np.ascontiguousarray(out)
