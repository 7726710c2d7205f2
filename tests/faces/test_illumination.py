"""Illumination normalisation: the switch, known answers and the preparer step."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.faces.illumination import ILLUMINATION_METHODS, normalise_illumination, tan_triggs
from mineguard.faces.light import add_side_light
from mineguard.faces.pipeline import FacePreparer


def _face() -> np.ndarray:
    yy, xx = np.mgrid[0:64, 0:64]
    return (100 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0)).astype(np.uint8)


def test_none_returns_the_same_pixels() -> None:
    face = _face()
    out = normalise_illumination(face, "none")
    assert np.array_equal(out, face) and out is not face


@pytest.mark.parametrize("method", list(ILLUMINATION_METHODS))
def test_uniform_stays_uniform_and_shape_kept(method: str) -> None:
    out = normalise_illumination(np.full((32, 48), 90, np.uint8), method)
    assert out.shape == (32, 48) and out.dtype == np.uint8 and out.min() == out.max()


def test_tan_triggs_ignores_a_global_gain() -> None:
    face = _face().astype(np.float32)
    bright, dim = tan_triggs(face.astype(np.uint8)), tan_triggs((face * 0.4).astype(np.uint8))
    assert np.abs(bright.astype(int) - dim.astype(int)).mean() < 12  # rounding of the dim image only
    assert np.abs(face - face * 0.4).mean() > 50


def test_clahe_lifts_the_dark_side() -> None:
    lit = add_side_light(_face(), level="side", side="left")
    out = normalise_illumination(lit, "clahe")
    ratio_before = lit[:, -16:].mean() / lit[:, :16].mean()
    ratio_after = out[:, -16:].mean() / out[:, :16].mean()
    assert ratio_after > ratio_before


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="clahe"):
        normalise_illumination(_face(), "retinex")
    with pytest.raises(ValueError, match="tan-triggs"):
        FacePreparer(illumination="retinex")


def test_preparer_normalise_step() -> None:
    face = _face()
    assert FacePreparer(illumination="none").normalise(face) is face
    assert np.array_equal(FacePreparer(illumination="clahe").normalise(face), normalise_illumination(face, "clahe"))
