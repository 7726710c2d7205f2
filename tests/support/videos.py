"""Tiny videos for camera tests: frame i is a flat grey 10*i, so decoded order can be read back."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def ramp(i: int, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    return np.full((*size, 3), min(250, 10 * i), np.uint8)


def write_video(path: Path, frames: int, fmt: str | None = None, *, still: bool = False) -> Path:
    """An MPEG-4 clip of ``frames`` 64x48 frames at 10 fps (``fmt`` picks the container); ``still``:
    every frame the same textured picture, as a camera looking at an unchanging scene."""
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            picture = scene if still else ramp(i)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode())
    return path
