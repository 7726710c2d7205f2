"""Enrolment quality gates: every ORL image passes; blurred, dark, bright, flat and tiny faces are refused."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.faces.align import HaarEyeDetector, align_face
from mineguard.faces.detect import FaceBox
from mineguard.faces.errors import FaceImageError
from mineguard.faces.image import load_image
from mineguard.faces.quality import QualityGates, blur_score, check_quality, require_quality

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces" / "att_orl"
needs_orl = pytest.mark.skipif(not ROOT.is_dir(), reason="../shared/data is absent (a user's fresh clone)")


def test_drawn_face_passes(draw_face) -> None:
    report = require_quality(draw_face(200), path="ok.png")
    assert report.passed and report.reasons == () and report.path == "ok.png"
    assert (report.width, report.height) == (200, 200)
    assert report.blur > 40 and 40 < report.mean < 220 and report.std > 15


@pytest.mark.parametrize(
    ("change", "reason", "words"),
    [
        (lambda f: cv2.GaussianBlur(f, (21, 21), 0), "blurry", "blur score"),
        (lambda f: (f * 0.2).astype(np.uint8), "too_dark", "mean grey level"),
        (lambda f: cv2.add(f, 170), "too_bright", "mean grey level"),
        (lambda f: np.full_like(f, 128), "flat", "contrast (grey-level std) 0.0 < 15"),
        (lambda f: cv2.resize(f, (10, 10), interpolation=cv2.INTER_AREA), "too_small", "face is 10x10 px"),
    ],
    ids=["blurred", "darkened", "over-exposed", "uniform-grey", "tiny"],
)
def test_bad_faces_are_refused(draw_face, change, reason: str, words: str) -> None:
    face = change(draw_face(200))
    assert reason in check_quality(face).reasons
    with pytest.raises(FaceImageError) as info:
        require_quality(face, path="cam3/miner_0042.png")
    assert info.value.reason == reason
    assert words in str(info.value) and "cam3/miner_0042.png: " in str(info.value)


def test_message_has_numbers_gate_and_fix(draw_face) -> None:
    with pytest.raises(FaceImageError, match=r"blur score \d+\.\d < 40 .* hold the camera still"):
        require_quality(cv2.GaussianBlur(draw_face(200), (31, 31), 0))
    with pytest.raises(FaceImageError, match="10x10 px, below the 48 px minimum side") as info:
        require_quality(np.full((10, 10), 128, np.uint8))
    assert info.value.reason == "too_small" and "also failed: flat, blurry" in str(info.value)


def test_size_px_is_the_face_in_the_camera_image(draw_face) -> None:
    face = draw_face(112)
    assert check_quality(face).passed
    report = check_quality(face, size_px=(30, 30))
    assert report.reasons == ("too_small",) and report.detail("too_small").startswith("face is 30x30 px")


def test_blur_score_is_measured_at_a_fixed_scale(draw_face) -> None:
    face = draw_face(224)
    at_half = cv2.resize(face, (112, 112), interpolation=cv2.INTER_AREA)
    assert blur_score(face) == pytest.approx(blur_score(at_half), rel=1e-6)
    assert blur_score(cv2.GaussianBlur(face, (9, 9), 0)) < blur_score(face)


def test_gates_are_validated_and_configurable(draw_face) -> None:
    with pytest.raises(ValueError, match="min_mean < max_mean"):
        QualityGates(min_mean=200, max_mean=100)
    strict = QualityGates(min_blur=1e9)
    assert check_quality(draw_face(200), gates=strict).reasons == ("blurry",)
    with pytest.raises(ValueError, match="not a quality gate"):
        check_quality(draw_face(100)).detail("no_face")


@needs_orl
def test_every_orl_image_passes() -> None:
    files = sorted(ROOT.glob("s*/*.pgm"))
    assert len(files) == 400
    failed = {f.name: r.reasons for f in files if not (r := check_quality(load_image(f), path=str(f))).passed}
    assert failed == {}


@needs_orl
def test_aligned_orl_faces_pass_and_blurred_or_darkened_fail() -> None:
    eyes = HaarEyeDetector()
    for i in range(1, 41, 3):
        image = load_image(ROOT / f"s{i}" / "2.pgm")
        box = FaceBox.whole(image)
        aligned = align_face(image, box, eye_detector=eyes)
        assert check_quality(aligned.image, size_px=(box.w, box.h)).passed
        assert check_quality(cv2.GaussianBlur(image, (15, 15), 0)).reasons == ("blurry",)
        assert check_quality((image * 0.2).astype(np.uint8)).reasons[0] == "too_dark"
