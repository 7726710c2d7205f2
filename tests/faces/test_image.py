"""Loading face image files and converting to grey: formats, bad files, array checks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.faces.errors import DEFAULT_FIXES, REASONS, FaceImageError
from mineguard.faces.image import crop, load_image, to_grey, validate_image

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces" / "att_orl"
needs_orl = pytest.mark.skipif(not ROOT.is_dir(), reason="../shared/data is absent (a user's fresh clone)")


@pytest.fixture()
def bgr() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".pgm", ".jpg"])
def test_load_grey_keeps_one_channel(tmp_path: Path, suffix: str) -> None:
    grey = np.tile(np.arange(0, 240, 6, dtype=np.uint8), (30, 1))  # (30, 40)
    file = tmp_path / f"face{suffix}"
    assert cv2.imwrite(str(file), grey)
    loaded = load_image(file)
    assert loaded.shape == (30, 40) and loaded.dtype == np.uint8
    assert np.abs(loaded.astype(int) - grey).max() <= (0 if suffix != ".jpg" else 8)


def test_load_colour_is_bgr_and_drops_alpha(tmp_path: Path, bgr: np.ndarray) -> None:
    cv2.imwrite(str(tmp_path / "c.png"), bgr)
    assert np.array_equal(load_image(tmp_path / "c.png"), bgr)
    bgra = np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])
    cv2.imwrite(str(tmp_path / "a.png"), bgra)
    assert load_image(str(tmp_path / "a.png")).shape == (40, 30, 3)


def test_load_16_bit_is_scaled_to_8_bit(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "deep.png"), np.full((8, 8), 65535, np.uint16))
    loaded = load_image(tmp_path / "deep.png")
    assert loaded.dtype == np.uint8 and loaded.max() == 255


def test_non_ascii_path(tmp_path: Path, bgr: np.ndarray) -> None:
    file = tmp_path / "шахтёр_1.png"
    cv2.imencode(".png", bgr)[1].tofile(str(file))
    assert load_image(file).shape == bgr.shape


def _unreadable(path: Path, match: str) -> FaceImageError:
    with pytest.raises(FaceImageError, match=match) as info:
        load_image(path)
    assert info.value.reason == "unreadable"
    assert info.value.path == str(path) and path.name in str(info.value)
    return info.value


def test_corrupt_file_with_png_name(tmp_path: Path) -> None:
    file = tmp_path / "corrupt.png"
    file.write_bytes(np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    _unreadable(file, "not a decodable image")


def test_truncated_png(tmp_path: Path, bgr: np.ndarray) -> None:
    file = tmp_path / "cut.png"
    file.write_bytes(cv2.imencode(".png", bgr)[1].tobytes()[:40])
    _unreadable(file, "not a decodable image")


def test_empty_missing_and_folder(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").touch()
    assert "copy the image again" in str(_unreadable(tmp_path / "empty.jpg", r"empty file \(0 bytes\)"))
    _unreadable(tmp_path / "nobody.pgm", "file not found")
    (tmp_path / "s1").mkdir()
    _unreadable(tmp_path / "s1", "is a folder")


def test_to_grey(bgr: np.ndarray) -> None:
    grey = to_grey(bgr)
    assert grey.shape == (40, 30) and np.array_equal(grey, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    assert to_grey(grey) is grey
    assert np.array_equal(to_grey(grey[:, :, None]), grey)
    assert np.array_equal(to_grey(np.dstack([bgr, np.zeros((40, 30), np.uint8)])), grey)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4), np.uint8), [[0, 1]]],
)
def test_validate_rejects_non_images(bad: object) -> None:
    with pytest.raises(ValueError, match=r"expected|empty side"):
        validate_image(bad)  # type: ignore[arg-type]


def test_crop_clips_to_image(bgr: np.ndarray) -> None:
    assert crop(bgr, -5, 10, 20, 100).shape == (30, 15, 3)
    with pytest.raises(ValueError, match="outside"):
        crop(bgr, 100, 0, 10, 10)


def test_error_codes_and_messages() -> None:
    err = FaceImageError("blurry", "blur score 12.3 < 40", path="s1/3.png")
    assert str(err).startswith("s1/3.png: blur score 12.3 < 40 — ") and err.fix == DEFAULT_FIXES["blurry"]
    assert isinstance(err, ValueError)
    assert str(FaceImageError("flat", "std 0.0 < 15", fix="clean it")) == "std 0.0 < 15 — clean it"
    assert set(DEFAULT_FIXES) == set(REASONS)
    with pytest.raises(ValueError, match="unknown FaceImageError reason"):
        FaceImageError("sad", "x")  # type: ignore[arg-type]


@needs_orl
def test_orl_pgm_loads_grey() -> None:
    image = load_image(ROOT / "s1" / "1.pgm")
    assert image.shape == (112, 92) and image.dtype == np.uint8
