"""Known answers for letterbox and flip; invariants for crop, mosaic, brightness and blur."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mineguard.data.transforms import (
    AugmentConfig,
    clip_boxes_to_window,
    letterbox,
    letterbox_boxes,
    mosaic4,
    random_blur,
    random_brightness,
    random_crop,
    random_flip,
    scale_boxes_to_original,
)


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_letterbox_known_answer() -> None:
    out, ratio, pad = letterbox(_image(100, 200), 64)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert ratio == pytest.approx(0.32)
    assert pad == (0, 16)
    assert (out[:16] == 114).all() and (out[48:] == 114).all()
    boxes = letterbox_boxes(np.float32([[0, 0, 200, 100], [50, 25, 100, 50]]), ratio, pad)
    np.testing.assert_allclose(boxes, [[0, 16, 64, 48], [16, 24, 32, 32]], atol=1e-5)


def test_letterbox_to_a_rectangle_for_a_wide_camera() -> None:
    out, ratio, pad = letterbox(_image(540, 960), (192, 320))  # 16:9 at 320: 6 rows of padding, not 140
    assert out.shape == (192, 320, 3) and ratio == pytest.approx(1 / 3) and pad == (0, 6)
    assert (out[:6] == 114).all() and (out[186:] == 114).all() and not (out[6:186] == 114).all()


def test_letterbox_upscales_tall_image() -> None:
    out, ratio, pad = letterbox(_image(32, 16), 64)
    assert ratio == 2.0 and pad == (16, 0) and out.shape == (64, 64, 3)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_scale_boxes_to_original_inverts_letterbox(as_tensor: bool) -> None:
    boxes = np.float32([[10, 20, 150, 90], [0, 0, 200, 100]])
    _, ratio, pad = letterbox(_image(100, 200), 64)
    boxed = letterbox_boxes(boxes, ratio, pad)
    back = scale_boxes_to_original(torch.from_numpy(boxed) if as_tensor else boxed, ratio, pad, (100, 200))
    assert isinstance(back, torch.Tensor) is as_tensor
    np.testing.assert_allclose(np.asarray(back), boxes, atol=1e-4)
    assert back is not boxed


def test_flip_known_answer() -> None:
    rng = np.random.default_rng(0)
    image = _image(50, 100)
    flipped, boxes = random_flip(image, np.float32([[10, 20, 30, 40]]), rng, p=1.0)
    np.testing.assert_allclose(boxes, [[70, 20, 90, 40]])
    np.testing.assert_array_equal(flipped[:, 0], image[:, -1])
    same, same_boxes = random_flip(image, np.float32([[10, 20, 30, 40]]), rng, p=0.0)
    assert same is image and same_boxes.tolist() == [[10, 20, 30, 40]]


def test_clip_boxes_keeps_mostly_visible_and_clips() -> None:
    boxes = np.float32([[0, 0, 10, 10], [8, 8, 18, 18], [15, 15, 40, 40], [30, 30, 35, 35]])
    kept, ids = clip_boxes_to_window(boxes, np.arange(4), (10, 10, 30, 30), min_visible=0.2)
    # box 0: outside; box 1: 64 % visible -> clipped; box 2: 36 % visible -> clipped; box 3: outside
    assert ids.tolist() == [1, 2]
    np.testing.assert_allclose(kept, [[0, 0, 8, 8], [5, 5, 20, 20]])


def test_random_crop_keeps_and_clips_boxes() -> None:
    image = _image(100, 100)
    boxes = np.float32([[10, 10, 40, 40], [60, 60, 90, 90], [45, 0, 55, 100]])
    for seed in range(20):
        rng = np.random.default_rng(seed)
        out, kept, ids = random_crop(image, boxes, np.arange(3), rng, p=1.0, min_scale=0.5)
        h, w = out.shape[:2]
        assert 50 <= h <= 100 and 50 <= w <= 100
        assert (kept >= 0).all() and (kept[:, [0, 2]] <= w).all() and (kept[:, [1, 3]] <= h).all()
        assert len(kept) == len(ids) and kept.dtype == np.float32
        areas = (kept[:, 2:] - kept[:, :2]).prod(axis=1)
        original = (boxes[ids, 2:] - boxes[ids, :2]).prod(axis=1)
        assert (areas >= 0.2 * original - 1e-3).all()


def test_crop_is_deterministic_for_a_seed() -> None:
    image, boxes = _image(80, 120), np.float32([[10, 10, 60, 60]])
    a = random_crop(image, boxes, np.zeros(1, np.int64), np.random.default_rng(5), p=1.0)
    b = random_crop(image, boxes, np.zeros(1, np.int64), np.random.default_rng(5), p=1.0)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_mosaic_shape_and_boxes_inside() -> None:
    images = [_image(60, 80, 1), _image(100, 50, 2), _image(64, 64, 3), _image(30, 90, 4)]
    boxes = [np.float32([[5, 5, 40, 50]]), np.float32([[10, 10, 40, 90]]), np.zeros((0, 4), np.float32)]
    boxes.append(np.float32([[0, 0, 90, 30], [40, 10, 50, 20]]))
    ids = [np.int64([0]), np.int64([1]), np.zeros(0, np.int64), np.int64([0, 1])]
    total = 0
    for seed in range(10):
        out, kept, kept_ids = mosaic4(images, boxes, ids, 64, np.random.default_rng(seed))
        assert out.shape == (64, 64, 3) and out.dtype == np.uint8
        assert kept.shape[1] == 4 and len(kept) == len(kept_ids) and kept_ids.dtype == np.int64
        assert (kept >= 0).all() and (kept <= 64).all()
        assert ((kept[:, 2:] - kept[:, :2]) >= 1).all()
        total += len(kept)
    assert total > 0
    with pytest.raises(ValueError, match="exactly 4"):
        mosaic4(images[:3], boxes[:3], ids[:3], 64, np.random.default_rng(0))


def test_brightness_and_blur_keep_shape_and_dtype() -> None:
    image = _image(40, 30)
    rng = np.random.default_rng(0)
    bright = random_brightness(image, rng, p=1.0, gain=0.3)
    blurred = random_blur(image, rng, p=1.0, max_kernel=7)
    for out in (bright, blurred):
        assert out.shape == image.shape and out.dtype == np.uint8
        assert not np.array_equal(out, image)
    assert random_blur(image, rng, p=0.0) is image
    assert random_brightness(image, rng, p=0.0) is image


def test_empty_boxes_pass_through() -> None:
    empty, none = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    rng = np.random.default_rng(0)
    _, boxes = random_flip(_image(10, 10), empty, rng, p=1.0)
    _, boxes2, ids = random_crop(_image(10, 10), empty, none, rng, p=1.0)
    assert boxes.shape == (0, 4) and boxes2.shape == (0, 4) and ids.shape == (0,)


def test_augment_config_defaults_and_validation() -> None:
    config = AugmentConfig()
    assert (config.flip, config.crop, config.brightness, config.blur, config.mosaic) == (
        0.5,
        0.3,
        0.5,
        0.1,
        0.0,
    )
    assert config.brightness_gain == 0.3
    with pytest.raises(ValueError, match="flip"):
        AugmentConfig(flip=1.5)
    with pytest.raises(ValueError, match="odd"):
        AugmentConfig(blur_max_kernel=4)
    with pytest.raises(ValueError, match="unknown keys"):
        AugmentConfig.from_dict({"flipp": 0.5})
    assert AugmentConfig.from_dict({"mosaic": 0.5}).mosaic == 0.5
