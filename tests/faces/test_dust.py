"""Synthetic coal-dust occlusion (seed 002 §4): monotone in severity, seeded, grey and BGR, the transform."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mineguard.faces.dust import DUST_SEVERITY, FACE_REGIONS, CoalDust, add_coal_dust, severity_of

LEVELS = ("none", "light", "heavy")


def _contrast_and_changed(faces: list[np.ndarray], **dust: object) -> tuple[float, float]:
    """Mean RMS contrast (grey std) of the dusty faces and mean share of pixels changed by more than 10 levels."""
    stds, changed = [], []
    for i, face in enumerate(faces):
        for seed in (i, 100 + i):
            dusty = add_coal_dust(face, seed=seed, **dust)  # type: ignore[arg-type]
            stds.append(dusty.std())
            changed.append((np.abs(dusty.astype(int) - face) > 10).mean())
    return float(np.mean(stds)), float(np.mean(changed))


def _assert_monotone(faces: list[np.ndarray]) -> None:
    stats = [_contrast_and_changed(faces, level=level) for level in LEVELS]
    (std_none, changed_none), (std_light, changed_light), (std_heavy, changed_heavy) = stats
    assert changed_none == 0.0 and std_none == pytest.approx(np.mean([f.std() for f in faces]))
    assert std_none > std_light > std_heavy
    assert 0.0 < changed_light < changed_heavy
    by_severity = [_contrast_and_changed(faces, severity=s) for s in (0.1, 0.4, 0.7, 1.0)]
    assert all(a[0] > b[0] and a[1] < b[1] for a, b in itertools.pairwise(by_severity))


def test_heavier_dust_lowers_contrast_and_changes_more_pixels_drawn(draw_face) -> None:
    _assert_monotone([draw_face(112, seed=s, skin=150 + 10 * s) for s in range(5)])


def test_heavier_dust_lowers_contrast_and_changes_more_pixels_orl(orl_faces: list[np.ndarray]) -> None:
    _assert_monotone(orl_faces[::8])


def test_seeded_and_reproducible(draw_face) -> None:
    face = draw_face(112)
    a = add_coal_dust(face, level="heavy", seed=7)
    assert np.array_equal(a, add_coal_dust(face, level="heavy", seed=7))
    assert np.array_equal(a, add_coal_dust(face, level="heavy", rng=np.random.default_rng(7)))
    assert not np.array_equal(a, add_coal_dust(face, level="heavy", seed=8))


def test_none_is_an_unchanged_copy(draw_face) -> None:
    face = draw_face(64)
    out = add_coal_dust(face, level="none", seed=0)
    assert out is not face and np.array_equal(out, face)


def test_grey_and_bgr_shapes_and_neutral_colour(draw_face) -> None:
    grey = draw_face(96)
    bgr = np.dstack([grey, grey, grey])
    dusty = add_coal_dust(bgr, severity=0.6, seed=3)
    assert dusty.shape == (96, 96, 3) and dusty.dtype == np.uint8
    assert np.array_equal(dusty[:, :, 0], dusty[:, :, 2])  # grey dust on a grey face stays grey
    assert np.array_equal(dusty[:, :, 1], add_coal_dust(grey, severity=0.6, seed=3))


def test_smudges_sit_on_eyes_nose_and_mouth() -> None:
    """On a flat mid-grey crop the feature regions are darkened more than the corners, over many seeds."""
    flat = np.full((112, 112), 150, np.uint8)
    darkening = np.mean([150.0 - add_coal_dust(flat, severity=0.8, seed=s) for s in range(12)], axis=0)
    regions = [darkening[round(fy * 112), round(fx * 112)] for fx, fy in FACE_REGIONS.values()]
    corners = [darkening[5, 5], darkening[5, 106], darkening[106, 5], darkening[106, 106]]
    assert min(regions) > max(corners) + 10


def test_cap_lamp_glare_brightens_somewhere() -> None:
    flat = np.full((112, 112), 100, np.uint8)
    assert any((add_coal_dust(flat, severity=1.0, seed=s) > 140).any() for s in range(10))


def test_bad_arguments() -> None:
    face = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match="exactly one of level"):
        add_coal_dust(face)
    with pytest.raises(ValueError, match="exactly one of level"):
        add_coal_dust(face, level="light", severity=0.3)
    with pytest.raises(ValueError, match="unknown coal-dust level 'medium'"):
        add_coal_dust(face, level="medium")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        add_coal_dust(face, severity=1.5)
    assert [severity_of(level) for level in LEVELS] == [DUST_SEVERITY[level] for level in LEVELS] == [0, 0.35, 0.75]


def test_coal_dust_transform(draw_face) -> None:
    face = draw_face(112)
    assert np.array_equal(CoalDust("heavy", p=0.0)(face), face)
    assert not np.array_equal(CoalDust("heavy", p=1.0, seed=0)(face), face)
    first = [CoalDust(severity=(0.2, 0.9), p=0.5, seed=11)(face) for _ in range(2)]
    assert np.array_equal(first[0], first[1])  # same seed, same first draw
    transform = CoalDust(severity=(0.2, 0.9), p=0.5, seed=11)
    outputs = [transform(face) for _ in range(8)]
    assert any(np.array_equal(o, face) for o in outputs) and any(not np.array_equal(o, face) for o in outputs)
    assert np.array_equal(
        CoalDust("light", p=1.0)(face, rng=np.random.default_rng(2)),
        CoalDust("light", p=1.0)(face, rng=np.random.default_rng(2)),
    )
    assert repr(CoalDust("light", p=0.3)) == "CoalDust(level='light', p=0.3)"
    with pytest.raises(ValueError, match="exactly one of level"):
        CoalDust()
    with pytest.raises(ValueError, match="0 <= low <= high <= 1"):
        CoalDust(severity=(0.8, 0.2))
