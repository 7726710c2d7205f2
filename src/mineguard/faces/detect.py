"""Frontal face detection with OpenCV's Haar cascade (Viola–Jones), and the one-face rule for enrolment.

``HaarFaceDetector.detect`` returns every face, largest first; ``detect_one`` enforces that an enrolment or
identification image shows exactly one miner:

* **several faces** — a second detection counts as another face when its area is at least
  ``SEVERAL_FACES_AREA_RATIO`` (0.5, i.e. about 0.7x the side) of the largest one *and* it is not mostly inside
  the largest box (a nested false positive on the same face). A much smaller face (a miner further down the
  roadway) is ignored and the dominant face is used.
* **no face** — when the cascade finds nothing, the image is first checked for reasons that explain it
  (smaller than the detector's ``min_size``, uniform, too dark, too bright), so the user hears "lens covered"
  rather than "no face".

Pre-cropped faces (ORL/AT&T, passport-style crops) are tight: the cascade, trained on faces with some
background, misses some of them. ``crop_or_whole`` (``detect_one(..., assume_cropped=True)``) then uses the
whole image as the face box when the image *looks like* a tight crop: longest side at most
``CROP_MAX_SIDE`` (512) px and width/height within ``CROP_ASPECT`` (0.6–1.25; ORL is 92/112 = 0.82). On the 400
ORL images the default cascade finds exactly one face on 87 % (348), none on 13 % (52), several on 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mineguard.faces.errors import FaceImageError
from mineguard.faces.image import to_grey, validate_image
from mineguard.faces.quality import QualityGates, check_quality

SEVERAL_FACES_AREA_RATIO = 0.5  # second face area / largest face area at which a frame shows several miners
NESTED_FRACTION = 0.8  # a smaller box with this fraction of its area inside the largest is the same face
CROP_MAX_SIDE = 512  # px; longest side of an image that may be a tight face crop
CROP_ASPECT = (0.6, 1.25)  # width / height range of a tight face crop


@dataclass(frozen=True)
class FaceBox:
    """A face rectangle in pixels of the image it was found in.

    Attributes:
        x, y: top-left corner (px). w, h: width and height (px).
        score: cascade confidence (the last stage's level weight; larger is surer), 0.0 for a box that is the
            whole image of an assumed crop.
    """

    x: int
    y: int
    w: int
    h: int
    score: float = 0.0

    @property
    def area(self) -> int:
        return self.w * self.h

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.w, self.y + self.h

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2.0, self.y + self.h / 2.0

    @classmethod
    def whole(cls, image: np.ndarray) -> FaceBox:
        """The box covering all of ``image`` (score 0.0)."""
        return cls(0, 0, int(image.shape[1]), int(image.shape[0]), 0.0)

    def intersection(self, other: FaceBox) -> int:
        """Overlap area with ``other`` in px²."""
        ax0, ay0, ax1, ay1 = self.xyxy
        bx0, by0, bx1, by1 = other.xyxy
        return max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))


class HaarFaceDetector:
    """Frontal face detector on OpenCV's bundled Haar cascades (no download, CPU, a few ms per VGA frame).

    Args:
        cascade: file name in ``cv2.data.haarcascades`` or a path to a cascade XML.
        min_size: smallest face side searched, px.
        scale_factor: image pyramid step (> 1); smaller finds more faces, slower.
        min_neighbors: overlapping raw hits needed to keep a face; larger means fewer false positives.
    """

    def __init__(
        self,
        *,
        cascade: str = "haarcascade_frontalface_default.xml",
        min_size: int = 30,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
    ) -> None:
        if min_size < 1 or scale_factor <= 1.0 or min_neighbors < 0:
            raise ValueError(
                f"need min_size >= 1, scale_factor > 1, min_neighbors >= 0; "
                f"got {min_size}, {scale_factor}, {min_neighbors}"
            )
        file = Path(cascade) if Path(cascade).is_file() else Path(cv2.data.haarcascades) / cascade
        self._cascade = cv2.CascadeClassifier(str(file))
        if self._cascade.empty():
            raise FileNotFoundError(f"Haar cascade {cascade!r} not found or not loadable (looked at {file})")
        self.min_size = min_size
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """All faces in a grey or BGR uint8 image, largest area first (empty list when none)."""
        grey = to_grey(validate_image(image))
        if min(grey.shape) < self.min_size:
            return []
        boxes, _, weights = self._cascade.detectMultiScale3(
            grey,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size),
            outputRejectLevels=True,
        )
        faces = [
            FaceBox(int(x), int(y), int(w), int(h), float(s)) for (x, y, w, h), s in zip(boxes, weights, strict=True)
        ]
        return sorted(faces, key=lambda b: (-b.area, -b.score))

    def detect_one(self, image: np.ndarray, *, path: str | None = None, assume_cropped: bool = False) -> FaceBox:
        """The single face of an enrolment/identification image; see the module docstring for the rules.

        ``assume_cropped=True`` hands over to ``crop_or_whole`` (a tight crop is used whole).

        Raises:
            FaceImageError: ``"several_faces"``, ``"no_face"``, or a reason explaining why nothing was found
                (``"too_small"``, ``"flat"``, ``"too_dark"``, ``"too_bright"``), naming ``path``.
        """
        if assume_cropped:
            return crop_or_whole(image, detector=self, path=path)
        faces = self.detect(image)
        _raise_if_several(faces, path)
        if faces:
            return faces[0]
        _explain_no_face(image, self.min_size, path)
        h, w = image.shape[:2]
        raise FaceImageError("no_face", f"no face found in the {w}x{h} image", path=path)


def _raise_if_several(faces: list[FaceBox], path: str | None) -> None:
    if len(faces) < 2:
        return
    largest = faces[0]
    others = [
        f
        for f in faces[1:]
        if f.area >= SEVERAL_FACES_AREA_RATIO * largest.area and largest.intersection(f) < NESTED_FRACTION * f.area
    ]
    if others:
        sizes = ", ".join(f"{f.w}x{f.h} at ({f.x}, {f.y})" for f in [largest, *others])
        raise FaceImageError("several_faces", f"{1 + len(others)} faces of similar size found ({sizes})", path=path)


def _explain_no_face(image: np.ndarray, min_size: int, path: str | None) -> None:
    """Raise a more useful reason than "no_face" when the whole image is unusable."""
    h, w = image.shape[:2]
    if min(h, w) < min_size:
        raise FaceImageError(
            "too_small", f"image is {w}x{h} px, smaller than the {min_size} px face the detector needs", path=path
        )
    report = check_quality(image, gates=QualityGates(min_side_px=1, min_blur=0.0))
    if report.reasons:  # gate order: too_dark, too_bright, flat (the size and blur gates are switched off)
        reason = report.reasons[0]
        raise FaceImageError(reason, f"no face found; {report.detail(reason)}", path=path)


def looks_like_face_crop(image: np.ndarray) -> bool:
    """True when the image could be a tight face crop: longest side <= ``CROP_MAX_SIDE`` px and
    width/height within ``CROP_ASPECT``."""
    h, w = image.shape[:2]
    return max(h, w) <= CROP_MAX_SIDE and CROP_ASPECT[0] <= w / h <= CROP_ASPECT[1]


def crop_or_whole(image: np.ndarray, *, detector: HaarFaceDetector | None = None, path: str | None = None) -> FaceBox:
    """The face box of an image that may already be a tight face crop (pre-cropped enrolment data).

    If the image looks like a crop (``looks_like_face_crop``) the whole image is the face, whatever the cascade
    says about it — a small detection inside a 92x112 crop is a false positive on a cheek or forehead, not a
    second, tiny miner — except that several faces of similar size, or an image that is flat, too dark or too
    bright, still raise ``FaceImageError``. Otherwise this is ``detector.detect_one(image)``.
    """
    detector = detector or HaarFaceDetector()
    if not looks_like_face_crop(image):
        return detector.detect_one(image, path=path)
    faces = detector.detect(image)
    _raise_if_several(faces, path)
    if not faces:
        _explain_no_face(image, detector.min_size, path)
    return FaceBox.whole(image)


def detect_one(
    image: np.ndarray,
    *,
    path: str | None = None,
    detector: HaarFaceDetector | None = None,
    assume_cropped: bool = False,
) -> FaceBox:
    """The single face in ``image`` with the default detector (or ``detector``).

    With ``assume_cropped=True`` a tight crop is used whole (``crop_or_whole``); otherwise the cascade's box is
    returned and an image without a detected face raises ``FaceImageError("no_face")``.
    """
    if assume_cropped:
        return crop_or_whole(image, detector=detector, path=path)
    return (detector or HaarFaceDetector()).detect_one(image, path=path)
