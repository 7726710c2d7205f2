"""Haar face detection and the one-face rule: drawn faces, bad input, tight crops, ORL hit rate."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.faces.detect import (
    SEVERAL_FACES_AREA_RATIO,
    FaceBox,
    HaarFaceDetector,
    crop_or_whole,
    detect_one,
    looks_like_face_crop,
)
from mineguard.faces.errors import FaceImageError
from mineguard.faces.image import load_image

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces" / "att_orl"
needs_orl = pytest.mark.skipif(not ROOT.is_dir(), reason="../shared/data is absent (a user's fresh clone)")


@pytest.fixture(scope="module")
def detector() -> HaarFaceDetector:
    return HaarFaceDetector()


def _landscape() -> np.ndarray:
    """(240, 320) sky gradient over dark hills, with noise: a scene without a face."""
    land = np.repeat(np.linspace(200, 120, 240)[:, None], 320, axis=1).astype(np.uint8)
    hills = np.array([[0, 150], [60, 110], [130, 140], [200, 90], [320, 130], [320, 240], [0, 240]], np.int32)
    cv2.fillPoly(land, [hills], 70)
    return np.clip(land + np.random.default_rng(1).normal(0, 6, land.shape), 0, 255).astype(np.uint8)


def _fail(path: Path, image: np.ndarray, reason: str, **kwargs: object) -> FaceImageError:
    """Write ``image`` to ``path``, load it, and check ``detect_one`` fails with ``reason`` naming the file."""
    cv2.imwrite(str(path), image)
    with pytest.raises(FaceImageError) as info:
        detect_one(load_image(path), path=str(path), **kwargs)  # type: ignore[arg-type]
    assert info.value.reason == reason, str(info.value)
    assert path.name in str(info.value)
    return info.value


def test_drawn_face_is_found(detector: HaarFaceDetector, draw_face) -> None:
    face = detect_one(draw_face(200), detector=detector)
    assert 140 <= face.w <= 190 and face.w == face.h and face.score > 0
    assert abs(face.center[0] - 100) < 10 and abs(face.center[1] - 100) < 10
    colour = detector.detect(cv2.cvtColor(draw_face(200), cv2.COLOR_GRAY2BGR))
    assert len(colour) == 1


def test_detections_sorted_by_area_and_small_second_face_ignored(detector: HaarFaceDetector, draw_face) -> None:
    canvas = np.full((240, 360), 60, np.uint8)
    canvas[20:220, 10:210] = draw_face(200)
    canvas[60:140, 250:330] = draw_face(80, seed=1)  # a miner further away: ~0.15 of the area
    faces = detector.detect(canvas)
    assert len(faces) == 2 and faces[0].area > faces[1].area
    assert faces[1].area < SEVERAL_FACES_AREA_RATIO * faces[0].area
    assert detector.detect_one(canvas) == faces[0]


def test_two_faces_side_by_side(tmp_path: Path, draw_face) -> None:
    pair = np.hstack([draw_face(200, seed=1), draw_face(200, seed=2)])
    err = _fail(tmp_path / "two_miners.png", pair, "several_faces")
    assert "2 faces of similar size" in str(err) and "one miner at a time" in str(err)
    _fail(tmp_path / "two_miners_crop.png", pair, "several_faces", assume_cropped=True)


@pytest.mark.parametrize("name", ["noise.png", "landscape.jpg"])
def test_no_face(tmp_path: Path, name: str) -> None:
    image = np.random.default_rng(0).integers(0, 256, (240, 320), np.uint8) if name == "noise.png" else _landscape()
    err = _fail(tmp_path / name, image, "no_face")
    assert "no face found in the 320x240 image" in str(err)
    _fail(tmp_path / name, image, "no_face", assume_cropped=True)  # 4:3 is not the shape of a face crop


@pytest.mark.parametrize(
    ("value", "reason", "words"),
    [
        (128, "flat", "contrast (grey-level std) 0.0 < 15"),
        (5, "too_dark", "mean grey level 5.0 < 40"),
        (250, "too_bright", "mean grey level 250.0 > 220"),
    ],
)
def test_unusable_frame_says_why_no_face(tmp_path: Path, value: int, reason: str, words: str) -> None:
    uniform = np.full((112, 92), value, np.uint8)
    err = _fail(tmp_path / "frame.pgm", uniform, reason)
    assert words in str(err) and "no face found" in str(err)
    _fail(tmp_path / "frame.pgm", uniform, reason, assume_cropped=True)  # a flat crop is not used whole


def test_tiny_image(tmp_path: Path) -> None:
    err = _fail(tmp_path / "tiny.png", np.random.default_rng(0).integers(0, 256, (10, 10), np.uint8), "too_small")
    assert "10x10 px" in str(err)


def test_crop_or_whole_uses_tight_crop_whole(detector: HaarFaceDetector, draw_face) -> None:
    # A face with no background: the cascade misses it, but it has the shape of a crop.
    tight = cv2.resize(draw_face(200)[30:170, 45:155], (92, 112))
    assert looks_like_face_crop(tight)
    assert crop_or_whole(tight, detector=detector) == FaceBox(0, 0, 92, 112, 0.0)
    assert detect_one(tight, detector=detector, assume_cropped=True) == FaceBox.whole(tight)
    # Too big or too wide to be a crop: the cascade decides.
    assert not looks_like_face_crop(np.zeros((600, 600), np.uint8))
    assert not looks_like_face_crop(np.zeros((100, 200), np.uint8))


def test_face_box_geometry() -> None:
    box = FaceBox(10, 20, 30, 40, 1.5)
    assert (box.area, box.xyxy, box.center) == (1200, (10, 20, 40, 60), (25.0, 40.0))
    assert box.intersection(FaceBox(30, 50, 100, 100)) == 10 * 10
    assert box.intersection(FaceBox(100, 100, 5, 5)) == 0


def test_detector_arguments() -> None:
    with pytest.raises(ValueError, match="scale_factor > 1"):
        HaarFaceDetector(scale_factor=1.0)
    with pytest.raises(FileNotFoundError, match=r"nope\.xml"):
        HaarFaceDetector(cascade="nope.xml")
    assert HaarFaceDetector(min_size=50).detect(np.zeros((40, 40), np.uint8)) == []


@needs_orl
def test_orl_hit_rate_and_crops(detector: HaarFaceDetector) -> None:
    """The cascade finds exactly one face on most ORL crops (all 400: 348 one, 52 none, 0 several); every crop
    is still usable whole through ``crop_or_whole``."""
    files = [ROOT / f"s{i}" / f"{k}.pgm" for i in range(1, 41) for k in (1, 4, 7)]
    counts = [len(detector.detect(load_image(f))) for f in files]
    assert sum(c == 1 for c in counts) / len(files) >= 0.75
    assert sum(c >= 2 for c in counts) == 0
    for file in files:
        image = load_image(file)
        assert crop_or_whole(image, detector=detector, path=str(file)) == FaceBox.whole(image)
