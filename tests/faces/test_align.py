"""Eye-based alignment: known-answer crop, eyes on a drawn face, fallback, rotation recovery on ORL."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.faces.align import AlignedFace, HaarEyeDetector, align_face, eye_line_angle
from mineguard.faces.detect import FaceBox, HaarFaceDetector, crop_or_whole
from mineguard.faces.image import load_image

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces" / "att_orl"
needs_orl = pytest.mark.skipif(not ROOT.is_dir(), reason="../shared/data is absent (a user's fresh clone)")


@pytest.fixture(scope="module")
def eyes() -> HaarEyeDetector:
    return HaarEyeDetector()


def _rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def test_without_eyes_the_crop_is_exact(eyes: HaarEyeDetector) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (120, 100), np.uint8)
    box = FaceBox(10, 20, 64, 64, 1.0)
    aligned = align_face(noise, box, size=64, margin=0.0, eye_detector=eyes)
    assert isinstance(aligned, AlignedFace)
    assert (aligned.eyes_found, aligned.rotated_deg, aligned.eyes, aligned.box) == (False, 0.0, None, box)
    assert np.array_equal(aligned.image, noise[20:84, 10:74])


def test_drawn_face_eyes_found_and_level(draw_face, eyes: HaarEyeDetector) -> None:
    image = draw_face(200)
    box = HaarFaceDetector().detect_one(image)
    aligned = align_face(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), box, eye_detector=eyes)
    assert aligned.image.shape == (112, 112) and aligned.image.dtype == np.uint8
    assert aligned.eyes_found and abs(aligned.rotated_deg) < 3.0
    (lx, ly), (rx, ry) = aligned.eyes  # type: ignore[misc]
    assert lx < 100 < rx and abs(ly - 84) < 8 and abs(ry - 84) < 8  # drawn at x = 74, 126 and y = 84


def test_eyeless_face_falls_back_to_unrotated_crop(draw_face, eyes: HaarEyeDetector) -> None:
    image = draw_face(200, eyes=False)
    aligned = align_face(image, FaceBox(20, 20, 160, 160), size=96, eye_detector=eyes)
    assert (aligned.eyes_found, aligned.rotated_deg) == (False, 0.0)
    assert aligned.image.shape == (96, 96)


def test_margin_defaults_and_border(draw_face, eyes: HaarEyeDetector) -> None:
    image = draw_face(120, eyes=False)
    whole = align_face(image, FaceBox.whole(image), size=120, eye_detector=eyes)  # assumed crop: margin 0
    assert np.array_equal(whole.image, image)
    corner = align_face(image, FaceBox(-30, -30, 60, 60), size=50, eye_detector=eyes)  # box leaves the image
    assert corner.image.shape == (50, 50)
    with pytest.raises(ValueError, match="margin >= 0"):
        align_face(image, FaceBox.whole(image), margin=-0.1)
    with pytest.raises(ValueError, match="empty face box"):
        align_face(image, FaceBox(0, 0, 0, 10))


def test_eye_line_angle_sign() -> None:
    assert eye_line_angle(((0.0, 0.0), (10.0, 0.0))) == 0.0
    assert eye_line_angle(((0.0, 0.0), (10.0, 10.0))) == pytest.approx(45.0)  # right eye lower: positive


@needs_orl
def test_orl_eye_pairs_and_rotation_recovery(eyes: HaarEyeDetector) -> None:
    """Most ORL crops yield an eye pair; a face rotated by +-12 degrees is rotated back within 4 degrees."""
    detector = HaarFaceDetector()
    files = [ROOT / f"s{i}" / "1.pgm" for i in range(1, 41, 2)]
    found, errors = 0, []
    for file in files:
        image = load_image(file)
        upright = align_face(image, crop_or_whole(image, detector=detector), eye_detector=eyes)
        found += upright.eyes_found
        assert upright.image.shape == (112, 112)
        for degrees in (-12.0, 12.0):
            tilted = _rotate(image, degrees)
            aligned = align_face(tilted, FaceBox.whole(tilted), eye_detector=eyes)
            if upright.eyes_found and aligned.eyes_found:
                errors.append(aligned.rotated_deg - (upright.rotated_deg - degrees))
    assert found / len(files) >= 0.7
    assert len(errors) >= 10
    assert np.median(np.abs(errors)) < 2.0 and np.max(np.abs(errors)) < 4.0
