"""faces.dedust: a dusted crop comes back closer to its clean self; shapes, dtypes and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.faces.dedust import dedust, remove_speckle, restore_veil
from mineguard.faces.dust import add_coal_dust
from mineguard.faces.illumination import normalise_illumination

FACE = (slice(20, 92), slice(30, 82))  # the drawn face's eyes, nose and mouth


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a[FACE].astype(np.float32) - b[FACE].astype(np.float32)) ** 2))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0, 1])


@pytest.mark.parametrize("level", ["light", "heavy"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_dusted_face_gets_closer_to_the_clean_one(draw_face, level, seed):
    clean = draw_face(112, seed=seed, skin=220)  # a lit face: its bright skin near the `bright` prior
    dusty = add_coal_dust(clean, level=level, seed=seed + 3)
    restored = dedust(dusty, local_contrast=False)  # restoration alone, comparable with the clean pixels
    assert _mse(restored, clean) < 0.5 * _mse(dusty, clean)
    assert _corr(restored, clean) > _corr(dusty, clean) + 0.03


def test_with_local_contrast_dusted_and_clean_look_alike(draw_face):
    clean = draw_face(112, seed=2, skin=220)
    dusty = add_coal_dust(clean, level="light", seed=5)
    assert _corr(dedust(dusty), dedust(clean)) > _corr(dusty, clean) + 0.02


def test_dark_specks_are_inpainted_and_large_features_kept():
    img = np.full((64, 64), 180, np.uint8)
    img[20:23, 20:23] = 10  # a 3 px speck
    img[40:56, 30:46] = 20  # a 16 px dark feature (a mouth, a nostril shadow)
    out = remove_speckle(img)
    assert out[21, 21] > 150
    assert out[48, 38] < 40


def test_a_uniform_veil_is_lifted_and_a_bright_face_left_alone():
    rng = np.random.default_rng(0)
    face = rng.integers(60, 236, (64, 64)).astype(np.uint8)
    face[0, 0], face[-1, -1] = 0, 235  # the darkest and brightest patches
    _, t = restore_veil(face)
    assert t.min() >= 0.4 and t.max() <= 1.0
    veiled = np.rint(face * 0.6 + 35 * 0.4).astype(np.uint8)
    restored, t_veil = restore_veil(veiled)
    assert t_veil.mean() < t.mean()
    assert restored.astype(float).std() > veiled.astype(float).std()


def test_shapes_and_dtypes(draw_face):
    grey = draw_face(100)
    bgr = np.repeat(grey[:, :, None], 3, axis=2)
    for image in (grey, bgr, grey[:, :80]):
        out = dedust(image)
        assert out.dtype == np.uint8 and out.shape == image.shape[:2]
    assert np.array_equal(normalise_illumination(bgr, "dedust"), dedust(grey))


@pytest.mark.parametrize(
    ("image", "kw", "match"),
    [
        (np.zeros((8, 8), np.float32), {}, "uint8"),
        (np.zeros((8, 8, 2), np.uint8), {}, "shape"),
        (np.zeros((16, 16), np.uint8), {"speck_px": 4}, "odd"),
        (np.zeros((16, 16), np.uint8), {"t_min": 0.0}, "t_min"),
        (np.zeros((16, 16), np.uint8), {"bright": 300.0}, "bright"),
    ],
)
def test_bad_input_is_a_clear_error(image, kw, match):
    with pytest.raises(ValueError, match=match):
        dedust(image, **kw)
