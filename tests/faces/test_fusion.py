"""Fusing a gate track's frames, with quality-aware rejection."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.faces.fusion import fuse_frames


def test_mean_of_unit_vectors() -> None:
    fused = fuse_frames(np.array([[2.0, 0.0], [0.0, 5.0]]))
    np.testing.assert_allclose(fused, [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)


def test_poor_frames_are_dropped_or_the_track_rejected() -> None:
    frames = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(fuse_frames(frames, np.array([True, False])), [1.0, 0.0])
    assert fuse_frames(frames, np.array([False, False])) is None
    assert fuse_frames(frames, np.array([False, False]), reject_poor=False) is not None


@pytest.mark.parametrize("frames, flags", [(np.zeros((0, 2)), None), (np.ones((2, 2)), np.array([True]))])
def test_bad_input(frames: np.ndarray, flags: np.ndarray | None) -> None:
    with pytest.raises(ValueError):
        fuse_frames(frames, flags)
