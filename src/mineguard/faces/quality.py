"""Enrolment quality gates for a face crop: size, exposure, contrast and sharpness.

A gallery template made from a bad photo poisons every later identification of that miner, so enrolment
refuses images that fail any gate and says why (``require_quality``); identification may only log the report.
Whether a face is present at all is the detector's job (``detect.detect_one``).

The gates and their defaults (``QualityGates``), all on the grey image:

==============  =====================================================  =======  ================
reason          metric                                                 default  ORL (400 images)
==============  =====================================================  =======  ================
``too_small``   shorter side of the face in the camera image, px       < 48     92 (whole image)
``too_dark``    mean grey level, 0–255                                 < 40     54.7–143.4
``too_bright``  mean grey level, 0–255                                 > 220    54.7–143.4
``flat``        grey-level standard deviation (RMS contrast), 0–255    < 15     32.4–66.1
``blurry``      variance of the Laplacian after scaling the shorter    < 40     64–1,900
                side to 112 px (``measure_side``)
==============  =====================================================  =======  ================

Two more gates are off by default (enrolment photos are taken facing the camera, clean) and switched on by
gate cameras (``faces/gate``), where a passing miner turns, and coal dust covers faces:

==============  =====================================================  =======  ================
``not_frontal`` frontal-ness 0–1 (:func:`frontal_score`): the balance   gate:    —
                of the eye pair about the face centre, or the mirror    < 0.5
                symmetry of the crop when no eye pair was found
``dusty``       share of the face ellipse covered by dark dust         gate:    ORL clean median
                (:func:`dust_coverage`): pixels darker than 45 grey,    > 0.25   0.014, max 0.21;
                or dark speckle (5x5 black-hat > 15, grey < 50)                  heavy dust 0.094
==============  =====================================================  =======  ================

The thresholds keep all 400 ORL/AT&T images (92x112 grey) with a margin of at least 1.6x on blur and 2x on
contrast, while a Gaussian blur with a 9x9 kernel (blur score <= 16 on ORL) or a 5x darkening (mean <= 29)
is rejected. Sharpness is measured at a fixed scale because the Laplacian variance of the same face grows with
its pixel size; upsampling a small face lowers its score, which is the intended penalty.
The ``flat`` gate also catches a uniform grey frame (covered lens, dead feed).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mineguard.faces.errors import FaceImageError, FaceImageReason
from mineguard.faces.image import to_grey, validate_image


@dataclass(frozen=True)
class QualityGates:
    """Thresholds of the enrolment gates (see the module docstring for the table and the ORL margins).

    Attributes:
        min_side_px: smallest acceptable shorter side of the face, px in the camera image.
        min_mean, max_mean: acceptable mean grey level, 0–255.
        min_std: smallest grey-level standard deviation, 0–255.
        min_blur: smallest variance of the Laplacian at ``measure_side``.
        measure_side: the face's shorter side is scaled to this many px before measuring blur.
        min_frontal: smallest :func:`frontal_score`; None switches the pose gate off (enrolment).
        max_dust: largest :func:`dust_coverage`; None switches the dust gate off (enrolment).
    """

    min_side_px: int = 48
    min_mean: float = 40.0
    max_mean: float = 220.0
    min_std: float = 15.0
    min_blur: float = 40.0
    measure_side: int = 112
    min_frontal: float | None = None
    max_dust: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_mean < self.max_mean <= 255.0:
            raise ValueError(
                f"QualityGates needs 0 <= min_mean < max_mean <= 255, got {self.min_mean}, {self.max_mean}"
            )
        if self.min_side_px < 1 or self.measure_side < 3 or self.min_std < 0 or self.min_blur < 0:
            raise ValueError(f"QualityGates has a negative or too small gate: {self}")
        for name in ("min_frontal", "max_dust"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"QualityGates.{name} is a share in [0, 1] (or None for off), got {value}")


@dataclass(frozen=True)
class QualityReport:
    """Measured quality of one face crop and the gates it failed, in gate order.

    Attributes:
        width, height: face size in the camera image, px.
        mean: mean grey level, 0–255. std: grey-level standard deviation, 0–255.
        blur: variance of the Laplacian at ``gates.measure_side`` (higher is sharper).
        reasons: failed gates in the order too_small, too_dark, too_bright, flat, blurry, not_frontal, dusty;
            empty when passed.
        passed: True when no gate failed.
        gates: the thresholds used.
        path: the source file, when known.
        frontal: :func:`frontal_score` when measured (the pose gate is on), else None.
        dust: :func:`dust_coverage` when measured (the dust gate is on), else None.
    """

    width: int
    height: int
    mean: float
    std: float
    blur: float
    reasons: tuple[FaceImageReason, ...]
    passed: bool
    gates: QualityGates
    path: str | None = None
    frontal: float | None = None
    dust: float | None = None

    def detail(self, reason: FaceImageReason) -> str:
        """What is wrong for ``reason``, with the measured number and the gate."""
        g, gates = self, self.gates
        texts = {
            "too_small": f"face is {g.width}x{g.height} px, below the {gates.min_side_px} px minimum side",
            "too_dark": f"mean grey level {g.mean:.1f} < {gates.min_mean:g}",
            "too_bright": f"mean grey level {g.mean:.1f} > {gates.max_mean:g}",
            "flat": f"contrast (grey-level std) {g.std:.1f} < {gates.min_std:g}",
            "blurry": f"blur score {g.blur:.1f} < {gates.min_blur:g} (variance of the Laplacian at "
            f"{gates.measure_side} px)",
            "not_frontal": f"frontal score {g.frontal or 0.0:.2f} < {gates.min_frontal or 0.0:g} (turned away)",
            "dusty": f"dust covers {100 * (g.dust or 0.0):.0f} % of the face, over {100 * (gates.max_dust or 0.0):g} %",
        }
        if reason not in texts:
            raise ValueError(f"{reason!r} is not a quality gate; gates are {', '.join(texts)}")
        return texts[reason]


def blur_score(grey: np.ndarray, *, measure_side: int = 112) -> float:
    """Variance of the Laplacian of ``grey`` (H, W) uint8 after scaling its shorter side to ``measure_side``."""
    h, w = grey.shape[:2]
    scale = measure_side / min(h, w)
    size = (max(3, round(w * scale)), max(3, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    resized = cv2.resize(grey, size, interpolation=interpolation)
    return float(cv2.Laplacian(resized, cv2.CV_64F).var())


def frontal_score(grey: np.ndarray, eyes: tuple[tuple[float, float], tuple[float, float]] | None = None) -> float:
    """How squarely a face crop looks at the camera, 0 (profile) to 1 (frontal).

    Args:
        grey: ``(H, W)`` uint8 face crop, eye line level (``align.align_face``).
        eyes: the eye centres in the crop's px, left one first, when an eye pair was found.

    With eyes: ``1 - |eye midpoint x - crop centre x| / (eye distance / 2)`` — a turned head moves both eyes
    towards one side of the face box. Without: the correlation of the crop with its mirror image (a frontal
    face is nearly symmetric), clipped to [0, 1].
    """
    width = grey.shape[1]
    if eyes is not None:
        (lx, _), (rx, _) = eyes
        half = abs(rx - lx) / 2.0
        if half > 0:
            return float(np.clip(1.0 - abs((lx + rx) / 2.0 - width / 2.0) / half, 0.0, 1.0))
    g = grey.astype(np.float64)
    a, b = g - g.mean(), g[:, ::-1] - g.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float(np.clip((a * b).sum() / denom, 0.0, 1.0)) if denom > 0 else 0.0


def dust_coverage(grey: np.ndarray) -> float:
    """Share (0–1) of the face covered by coal dust: on the crop scaled to 112 px, the pixels of the central
    face ellipse that are darker than 45 grey (dust film, smudges) or dark speckle (5x5 black-hat above 15 with
    grey below 50). Clean ORL faces: median 0.014, at most 0.21; ``dust.add_coal_dust`` heavy: median 0.094.
    """
    g = cv2.resize(grey, (112, 112), interpolation=cv2.INTER_AREA).astype(np.float32)
    face = np.zeros(g.shape, np.uint8)
    cv2.ellipse(face, (56, 60), (36, 46), 0, 0, 360, 1, -1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    speckle = (cv2.morphologyEx(g, cv2.MORPH_BLACKHAT, kernel) > 15) & (g < 50)
    covered = ((g < 45) | speckle) & face.astype(bool)
    return float(covered.sum() / face.sum())


def check_quality(
    face_img: np.ndarray,
    *,
    path: str | None = None,
    gates: QualityGates = QualityGates(),
    size_px: tuple[int, int] | None = None,
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> QualityReport:
    """Measure a face crop and compare it with ``gates``; never raises for bad quality.

    Args:
        face_img: the face, uint8 grey ``(H, W)`` or BGR ``(H, W, 3)``: the detector box cut from the camera
            image, or ``AlignedFace.image``.
        path: the source file, kept in the report for batch summaries.
        gates: thresholds.
        size_px: ``(width, height)`` of the face in the camera image when ``face_img`` was resized
            (``(aligned.box.w, aligned.box.h)``); defaults to the size of ``face_img``.
        eyes: the eye pair in ``face_img`` px, for the pose gate (:func:`frontal_score`).

    Returns:
        The metrics, the failed reasons and ``passed``.
    """
    grey = to_grey(validate_image(face_img))
    width, height = size_px if size_px is not None else (grey.shape[1], grey.shape[0])
    mean, std = float(grey.mean()), float(grey.std())
    blur = blur_score(grey, measure_side=gates.measure_side)
    frontal = frontal_score(grey, eyes) if gates.min_frontal is not None else None
    dust = dust_coverage(grey) if gates.max_dust is not None else None
    failed: dict[FaceImageReason, bool] = {
        "too_small": min(width, height) < gates.min_side_px,
        "too_dark": mean < gates.min_mean,
        "too_bright": mean > gates.max_mean,
        "flat": std < gates.min_std,
        "blurry": blur < gates.min_blur,
        "not_frontal": frontal is not None and frontal < gates.min_frontal,  # type: ignore[operator]
        "dusty": dust is not None and dust > gates.max_dust,  # type: ignore[operator]
    }
    reasons = tuple(r for r, bad in failed.items() if bad)
    return QualityReport(int(width), int(height), mean, std, blur, reasons, not reasons, gates, path, frontal, dust)


def require_quality(
    face_img: np.ndarray,
    *,
    path: str | None = None,
    gates: QualityGates = QualityGates(),
    size_px: tuple[int, int] | None = None,
) -> QualityReport:
    """``check_quality`` for enrolment: returns the report when every gate passes.

    Raises:
        FaceImageError: with the first failed reason, its numbers and the fix, naming ``path``; any further
            failed gates are listed in the message too.
    """
    report = check_quality(face_img, path=path, gates=gates, size_px=size_px)
    if report.passed:
        return report
    first, *rest = report.reasons
    detail = report.detail(first)
    if rest:
        detail += f" (also failed: {', '.join(rest)})"
    raise FaceImageError(first, detail, path=path)
