"""Synthetic side / low light: known gains, levels, determinism and the augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.faces.light import LIGHT_LEVELS, LightSetting, SideLight, add_side_light, side_gain


def test_side_gain_known_answer() -> None:
    gain = side_gain(11, 0.8, "left")
    assert gain[0] == pytest.approx(1.32)  # 1 + 0.8 * 0.4
    assert gain[-1] == pytest.approx(0.28)  # 1 + 0.8 * (0.4 - 1.3)
    assert gain[5] == pytest.approx(1 + 0.8 * (0.4 - 0.65))
    np.testing.assert_allclose(side_gain(11, 0.8, "right"), gain[::-1])
    assert side_gain(5, 1.0, "left").min() == pytest.approx(0.1)  # 1 - 0.9
    assert side_gain(5, 2.0, "left").min() == pytest.approx(0.05)  # floor


def test_side_light_on_a_uniform_image() -> None:
    image = np.full((4, 11), 100, np.uint8)
    out = add_side_light(image, level="side", side="left")
    assert out[:, 0].tolist() == [132] * 4 and out[:, -1].tolist() == [28] * 4
    assert (np.diff(out[0].astype(int)) <= 0).all()  # darker away from the lamp
    low = add_side_light(image, setting=LightSetting(0.0, 0.35, 0.0))
    assert (low == 35).all()


def test_none_is_an_unchanged_copy_and_levels_are_ordered() -> None:
    image = np.arange(112 * 112, dtype=np.uint32).reshape(112, 112).astype(np.uint8)
    same = add_side_light(image, level="none")
    assert same is not image and np.array_equal(same, image)
    face = np.full((112, 112), 120, np.uint8)
    means = [add_side_light(face, level=lv, seed=1).mean() for lv in LIGHT_LEVELS]
    assert means[2] < means[1] < means[0] + 1e-9 or means[2] < means[0]
    assert add_side_light(face, level="low", seed=1).mean() < 0.5 * face.mean()


def test_seeded_and_colour() -> None:
    face = np.random.default_rng(0).integers(0, 256, (32, 40, 3), dtype=np.uint8)
    a, b = add_side_light(face, level="low", seed=7), add_side_light(face, level="low", seed=7)
    assert np.array_equal(a, b) and a.shape == face.shape and a.dtype == np.uint8
    assert not np.array_equal(a, add_side_light(face, level="low", seed=8))


@pytest.mark.parametrize(
    "kw", [{"level": "dazzling"}, {}, {"level": "side", "setting": LightSetting(0, 1, 0)}, {"setting": (-1, 1, 0)}]
)
def test_bad_arguments(kw: dict) -> None:
    with pytest.raises(ValueError):
        add_side_light(np.zeros((8, 8), np.uint8), **kw)


def test_augmentation_probability() -> None:
    face = np.full((16, 16), 120, np.uint8)
    rng = np.random.default_rng(0)
    assert SideLight(p=0.0)(face, rng) is face
    changed = SideLight(p=1.0)(face, rng)
    assert changed[:, 0].mean() != changed[:, -1].mean()
    with pytest.raises(ValueError):
        SideLight(p=2.0)
