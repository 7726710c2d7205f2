import numpy as np
import pytest

from mineguard.data.corruptions import CORRUPTIONS, SEVERITIES, corrupt, random_corruption
from mineguard.data.transforms import AugmentConfig

NAMES = CORRUPTIONS.names()


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """A textured 96x128 RGB scene: a colour gradient with a bright square (a 'helmet')."""
    yy, xx = np.mgrid[0:96, 0:128]
    image = np.stack([xx * 2, yy * 2, 255 - xx * 2], axis=-1).clip(0, 255).astype(np.uint8)
    image[30:60, 40:80] = (230, 200, 40)
    return image


def _contrast(image: np.ndarray) -> float:
    return float(image.astype(np.float32).std())


def test_the_six_underground_corruptions_are_registered():
    assert NAMES == ["coal_dust", "glare", "lens_dirt", "low_light", "motion_blur", "smoke"]


@pytest.mark.parametrize("name", NAMES)
def test_every_corruption_keeps_shape_and_dtype_and_changes_the_image(scene, name):
    for severity in SEVERITIES:
        out = corrupt(scene, name, severity, seed=3)
        assert out.shape == scene.shape and out.dtype == np.uint8
        assert not np.array_equal(out, scene)
    assert scene[45, 60].tolist() == [230, 200, 40]  # the input is never written to


@pytest.mark.parametrize("name", NAMES)
def test_a_seed_gives_the_same_image_twice(scene, name):
    assert np.array_equal(corrupt(scene, name, 2, seed=7), corrupt(scene, name, 2, seed=7))


@pytest.mark.parametrize("name", NAMES)
def test_severity_3_changes_the_scene_more_than_severity_1(scene, name):
    change = [np.abs(corrupt(scene, name, s, seed=1).astype(np.float32) - scene).mean() for s in (1, 3)]
    assert change[1] > change[0]


def test_low_light_darkens_and_greys_the_scene(scene):
    out = corrupt(scene, "low_light", 3, seed=0).astype(np.float32)
    assert out.mean() < 0.2 * scene.mean()
    helmet = out[35:55, 45:75].mean(axis=(0, 1))
    assert helmet.max() - helmet.min() < 0.3 * (230 - 40) * 0.12 * 3  # little colour is left


def test_coal_dust_and_smoke_lower_the_contrast(scene):
    for name in ("coal_dust", "smoke"):
        assert _contrast(corrupt(scene, name, 3, seed=0)) < 0.7 * _contrast(scene)


def test_smoke_lightens_and_dust_darkens(scene):
    assert corrupt(scene, "smoke", 3, seed=0).mean() > scene.mean()
    assert corrupt(scene, "coal_dust", 3, seed=0).mean() < scene.mean()


def test_glare_saturates_a_spot(scene):
    out = corrupt(scene, "glare", 3, seed=0)
    assert (out.min(axis=2) == 255).sum() > 20


def test_motion_blur_keeps_a_flat_image_flat():
    flat = np.full((40, 60, 3), 120, np.uint8)
    assert np.array_equal(corrupt(flat, "motion_blur", 3, seed=0), flat)


def test_bad_arguments_get_clear_errors(scene):
    with pytest.raises(ValueError, match=r"unknown underground corruption 'fog'.*coal_dust"):
        corrupt(scene, "fog", 1)
    with pytest.raises(ValueError, match="severity must be one of"):
        corrupt(scene, "smoke", 4)
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        corrupt(scene.astype(np.float32), "smoke", 1)
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        corrupt(scene[..., 0], "smoke", 1)


def test_random_corruption_respects_its_probability(scene):
    rng = np.random.default_rng(0)
    assert random_corruption(scene, rng, p=0.0) is scene
    changed = sum(not np.array_equal(random_corruption(scene, rng, p=0.5), scene) for _ in range(200))
    assert 70 < changed < 130


def test_augment_config_checks_the_underground_probability():
    assert AugmentConfig(underground=0.5).underground == 0.5
    with pytest.raises(ValueError, match="underground"):
        AugmentConfig(underground=1.5)
