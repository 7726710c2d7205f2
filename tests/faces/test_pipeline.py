"""FacePreparer: find, level and crop the face of a camera frame or a tight crop; enrolment gates; bad files."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.faces.detect import FaceBox
from mineguard.faces.errors import FaceImageError
from mineguard.faces.pipeline import FaceCrop, FacePreparer

DrawFace = Callable[..., np.ndarray]  # the ``draw_face`` fixture of tests/faces/conftest.py


@pytest.fixture(scope="module")
def preparer() -> FacePreparer:
    return FacePreparer()


@pytest.fixture(scope="module")
def gated() -> FacePreparer:
    return FacePreparer(check_quality=True)


def _in_frame(face: np.ndarray, *, x: int = 300, y: int = 80, shape: tuple[int, int] = (360, 640)) -> np.ndarray:
    """A wide grey frame (not a tight crop) with ``face`` pasted at (x, y)."""
    frame = np.full(shape, 90, np.uint8)
    frame[y : y + face.shape[0], x : x + face.shape[1]] = face
    return frame


def test_face_found_in_a_larger_frame(preparer: FacePreparer, draw_face: DrawFace) -> None:
    face = draw_face(200, seed=1)
    crop = preparer(_in_frame(face, x=300, y=80))
    assert isinstance(crop, FaceCrop)
    assert crop.image.shape == (112, 112) and crop.image.dtype == np.uint8
    box = crop.box
    assert box.score > 0  # a detector box, not the whole frame
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= 640 and box.y + box.h <= 360
    cx, cy = box.center
    assert abs(cx - 400) < 30 and abs(cy - 180) < 30  # centred on the pasted face
    assert 100 <= box.w <= 220
    assert crop.eyes_found  # the drawn eyes level the crop
    assert crop.quality is None and crop.path is None


def test_colour_frame_gives_a_grey_crop(preparer: FacePreparer, draw_face: DrawFace) -> None:
    frame = cv2.cvtColor(_in_frame(draw_face(200, seed=2)), cv2.COLOR_GRAY2BGR)
    crop = preparer(frame, path="cam1.png")
    assert crop.image.shape == (112, 112) and crop.image.dtype == np.uint8
    assert crop.path == "cam1.png"


def test_tight_crop_is_used_whole(preparer: FacePreparer, draw_face: DrawFace) -> None:
    face = draw_face(120, seed=3)[:, 10:110]  # 100x120 portrait, like an ORL crop
    crop = preparer(face)
    assert crop.box == FaceBox.whole(face) == FaceBox(0, 0, 100, 120, 0.0)
    assert crop.image.shape == (112, 112) and crop.image.dtype == np.uint8


def test_output_size_follows_the_preparer(draw_face: DrawFace) -> None:
    crop = FacePreparer(size=64)(draw_face(150, seed=4))
    assert crop.image.shape == (64, 64)


def test_same_image_same_crop(preparer: FacePreparer, draw_face: DrawFace) -> None:
    face = draw_face(160, seed=5)
    assert np.array_equal(preparer(face).image, preparer(face.copy()).image)


def test_quality_gates_pass_a_good_face(gated: FacePreparer, draw_face: DrawFace) -> None:
    crop = gated(draw_face(200, seed=6), path="good.png")
    assert crop.quality is not None and crop.quality.passed
    assert (crop.quality.width, crop.quality.height) == (200, 200)  # size in the source image, not the crop


def test_quality_gates_refuse_a_blurred_face(preparer: FacePreparer, gated: FacePreparer, draw_face: DrawFace) -> None:
    blurred = cv2.GaussianBlur(draw_face(200, seed=7), (25, 25), 0)
    preparer(blurred)  # found and cropped without the gates
    with pytest.raises(FaceImageError, match=r"^blurred\.png: blur score") as info:
        gated(blurred, path="blurred.png")
    assert info.value.reason == "blurry" and info.value.path == "blurred.png"


def test_quality_gates_refuse_a_dark_face(preparer: FacePreparer, gated: FacePreparer, draw_face: DrawFace) -> None:
    dark = (draw_face(200, seed=8) * 0.35).astype(np.uint8)  # mean ~36 grey levels: the cascade still fires
    assert preparer.detector.detect(dark)
    assert preparer(dark).quality is None  # found and cropped without the gates
    with pytest.raises(FaceImageError, match=r"^dark\.png: mean grey level \d+\.\d < 40") as info:
        gated(dark, path="dark.png")
    assert info.value.reason == "too_dark"


def test_load_reads_a_file_and_keeps_its_path(tmp_path: Path, preparer: FacePreparer, draw_face: DrawFace) -> None:
    face = draw_face(150, seed=9)
    file = tmp_path / "miner.png"
    cv2.imwrite(str(file), face)
    crop = preparer.load(file)
    assert crop.path == str(file)
    assert np.array_equal(crop.image, preparer(face).image)  # PNG is lossless


def test_load_corrupt_file_is_unreadable(tmp_path: Path, preparer: FacePreparer) -> None:
    file = tmp_path / "broken.png"
    file.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(FaceImageError, match=f"^{re.escape(str(file))}: not a decodable image") as info:
        preparer.load(file)
    assert info.value.reason == "unreadable" and info.value.path == str(file)


def test_load_missing_file_is_unreadable(tmp_path: Path, preparer: FacePreparer) -> None:
    with pytest.raises(FaceImageError, match="file not found") as info:
        preparer.load(tmp_path / "nobody.png")
    assert info.value.reason == "unreadable"


def test_frame_without_a_face(preparer: FacePreparer) -> None:
    frame = np.random.default_rng(0).integers(0, 256, (360, 640), dtype=np.uint8)
    with pytest.raises(FaceImageError, match=r"^noise\.png: no face found") as info:
        preparer(frame, path="noise.png")
    assert info.value.reason == "no_face"
