"""Fixtures for the face-image tests: a drawn face the Haar cascades fire on, and ORL samples.

The drawn face (a light ellipse on a dark background, white eyes with dark pupils under dark brows, a nose
line and a dark mouth) is found by OpenCV's frontal-face cascade at 100–300 px and its eye cascade finds both
eyes when the face is upright, so detection and alignment are tested without the real data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

SHARED_DATA = Path(
    os.environ.get("MINEGUARD_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data")
)
ORL_ROOT = SHARED_DATA / "faces" / "att_orl"

DrawFace = Callable[..., np.ndarray]


def _draw_face(size: int = 200, *, seed: int = 0, eyes: bool = True, skin: int = 170) -> np.ndarray:
    """A (size, size) uint8 grey cartoon face with mild sensor noise."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size), 60, np.uint8)
    c = size // 2
    cv2.ellipse(img, (c, c), (int(size * 0.32), int(size * 0.42)), 0, 0, 360, skin, -1)
    eye_y, dx = int(size * 0.42), int(size * 0.13)
    for side in (-1, 1):
        if eyes:
            cv2.ellipse(img, (c + side * dx, eye_y), (int(size * 0.07), int(size * 0.035)), 0, 0, 360, 235, -1)
            cv2.circle(img, (c + side * dx, eye_y), int(size * 0.03), 20, -1)
        brow_y, half = eye_y - int(size * 0.075), int(size * 0.08)
        cv2.line(img, (c + side * dx - half, brow_y), (c + side * dx + half, brow_y), 50, max(2, int(size * 0.02)))
    cv2.line(img, (c, int(size * 0.48)), (c, int(size * 0.6)), 130, 3)
    cv2.ellipse(img, (c, int(size * 0.72)), (int(size * 0.12), int(size * 0.03)), 0, 0, 360, 70, -1)
    img = cv2.GaussianBlur(img, (5, 5), 0)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def draw_face() -> DrawFace:
    """``draw_face(size=200, *, seed=0, eyes=True, skin=170) -> (size, size) uint8`` grey face."""
    return _draw_face


@pytest.fixture(scope="session")
def orl_faces() -> list[np.ndarray]:
    """The first and sixth image of each of the 40 ORL subjects (80 grey 112x92 arrays); skips without data."""
    if not ORL_ROOT.is_dir():
        pytest.skip(f"att_orl not found at {ORL_ROOT} (a fresh clone has no ../shared); set MINEGUARD_SHARED_DATA")
    from mineguard.faces.image import load_image

    return [load_image(ORL_ROOT / f"s{i}" / f"{k}.pgm") for i in range(1, 41) for k in (1, 6)]


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread; two stall on a busy 2-core machine. Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
