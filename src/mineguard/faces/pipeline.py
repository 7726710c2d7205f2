"""From a camera frame or an enrolment photo to the face crop every model sees.

``prepare_face`` is the one path used for training, enrolment, identification and evaluation:
find the face (``crop_or_whole``: a tight crop is used whole, anything else goes through the Haar
detector and must hold exactly one face), level it on the eye line and crop it to ``size`` x
``size`` grey (``align_face``), and — for enrolment — pass the quality gates
(``require_quality``: size, brightness, contrast, sharpness), then normalise the illumination
(``illumination``: ``"none"``, ``"clahe"`` or ``"tan-triggs"``, see ``faces.illumination``; quality
is measured before it, on the crop as the camera saw it). Problems raise
:class:`~mineguard.faces.errors.FaceImageError` naming the file and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np

from mineguard.faces.align import HaarEyeDetector, align_face
from mineguard.faces.detect import FaceBox, HaarFaceDetector, crop_or_whole
from mineguard.faces.illumination import check_method, normalise_illumination
from mineguard.faces.image import load_image, to_grey
from mineguard.faces.quality import QualityReport, require_quality


@dataclass(frozen=True)
class FaceCrop:
    image: np.ndarray  # (size, size) uint8 grey, eye line level
    box: FaceBox  # where the face was in the source image (pixels)
    eyes_found: bool
    quality: QualityReport | None  # set when the enrolment gates were checked
    path: str | None = None


class FacePreparer:
    """Holds the (slow to load) cascades; ``__call__(image)`` / ``load(path)`` give a :class:`FaceCrop`."""

    def __init__(self, *, size: int = 112, check_quality: bool = False, illumination: str = "none") -> None:
        self.size, self.check_quality, self.illumination = size, check_quality, check_method(illumination)
        self.detector, self.eyes = HaarFaceDetector(), HaarEyeDetector()

    def __call__(self, image: np.ndarray, *, path: str | None = None) -> FaceCrop:
        box = crop_or_whole(image, detector=self.detector, path=path)
        aligned = align_face(image, box, size=self.size, eye_detector=self.eyes)
        grey = to_grey(aligned.image)
        report = require_quality(grey, path=path, size_px=(box.w, box.h)) if self.check_quality else None
        return FaceCrop(self.normalise(grey), box, aligned.eyes_found, report, path)

    def normalise(self, grey: np.ndarray) -> np.ndarray:
        """The illumination step alone, for crops changed after preparation (augmentation, synthetic light)."""
        return grey if self.illumination == "none" else normalise_illumination(grey, self.illumination)

    def load(self, path: str | PathLike[str]) -> FaceCrop:
        return self(load_image(path), path=str(path))
