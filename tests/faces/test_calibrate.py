"""Per-gallery threshold from the enrolled people's own photos (leave one out)."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.faces.calibrate import calibrate_gallery_threshold, leave_one_out_scores
from mineguard.faces.gallery import MemoryGallery


def _unit(deg: float) -> np.ndarray:
    r = np.deg2rad(deg)
    return np.array([np.cos(r), np.sin(r)])


def test_leave_one_out_known_answer() -> None:
    rows = np.stack([_unit(0), _unit(10), _unit(90), _unit(100)])
    genuine, impostor, correct = leave_one_out_scores(rows, ["a", "a", "b", "b"])
    np.testing.assert_allclose(genuine, [np.cos(np.deg2rad(10))] * 4)
    np.testing.assert_allclose(impostor, np.cos(np.deg2rad([90, 80, 80, 90])), atol=1e-9)
    assert correct.all()


def test_gallery_threshold_separates_and_offsets() -> None:
    gallery = MemoryGallery()
    gallery.add("a", np.stack([_unit(0), _unit(10)]))
    gallery.add("b", np.stack([_unit(90), _unit(100)]))
    cal = calibrate_gallery_threshold(gallery)
    assert cal.threshold == pytest.approx(np.cos(np.deg2rad(10)), abs=1e-6)  # highest threshold with F1 = 1
    assert (cal.n_genuine, cal.n_impostor) == (4, 4)
    shifted = calibrate_gallery_threshold(gallery, offset=-0.1)
    assert shifted.threshold == pytest.approx(cal.threshold - 0.1) and shifted.base == cal.base


def test_needs_two_people_with_two_photos() -> None:
    gallery = MemoryGallery()
    gallery.add("a", np.stack([_unit(0), _unit(10)]))
    with pytest.raises(ValueError, match="at least 2 enrolled people"):
        calibrate_gallery_threshold(gallery)
    gallery2 = MemoryGallery()
    gallery2.add("a", _unit(0))
    gallery2.add("b", _unit(90))
    with pytest.raises(ValueError, match="2 photos"):
        calibrate_gallery_threshold(gallery2)
