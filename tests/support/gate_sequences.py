"""Synthetic gate-camera footage for the gate tests: real att_orl faces pasted, moving, onto a frame
of the underground clip (both from ../shared/data), saved as a folder of PNG frames (lossless, so
a crop's blur is the test's and not the codec's). A test helper, not part of the package."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from mineguard.faces.image import load_image

WIDTH, HEIGHT = 320, 400  # picture px; the gate line is drawn at y = LINE_Y
LINE_Y = 200
FACE_X = 114  # left edge of the pasted 92x112 face


def orl_faces(root: Path, person: str, shots: Sequence[int]) -> list[np.ndarray]:
    """Grey 112x92 faces of att_orl ``person`` (``s7``), images ``shots`` (1..10)."""
    return [load_image(root / "faces" / "att_orl" / person / f"{k}.pgm") for k in shots]


def background(root: Path) -> np.ndarray:
    """A dim frame of the underground clip, (HEIGHT, WIDTH, 3) RGB, softened so no face is found in it."""
    folder = root / "frames" / "underground_coalmine"
    frame = cv2.imread(str(sorted(folder.iterdir())[0]))
    frame = cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), (7, 7), 0)


def walk(
    scene: np.ndarray,
    faces: Sequence[np.ndarray],
    ys: Sequence[float],
    *,
    blur_sigma: float = 0.0,
) -> list[np.ndarray]:
    """One frame per top edge in ``ys``: ``faces`` pasted in turn at (FACE_X, y); ``blur_sigma`` > 0
    blurs each face (a miner walking fast past a slow shutter)."""
    frames = []
    for i, y in enumerate(ys):
        face = faces[i % len(faces)]
        if blur_sigma > 0:
            face = cv2.GaussianBlur(face, (0, 0), blur_sigma)
        frame = scene.copy()
        top = round(y)
        h, w = face.shape
        frame[top : top + h, FACE_X : FACE_X + w] = face[:, :, None]
        frames.append(frame)
    return frames


def down(frames: int, start: float = 40.0, end: float = 260.0) -> list[float]:
    """Top edges from ``start`` to ``end`` px in ``frames`` steps (face centre crosses LINE_Y going down)."""
    return list(np.linspace(start, end, frames))


def save(folder: Path, frames: Sequence[np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"frame_{i:04d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder
