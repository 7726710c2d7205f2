"""A short camera clip from still frames, for the demo's camera (issue 15).

The MIT-licensed underground frames (``frames/underground_coalmine``: 12 CCTV stills, 1920x1080)
become an H.264 clip a camera source can play: each still is held ``hold_s`` seconds with a slow
zoom towards its centre (so the tracker sees motion, as from a real camera), scaled to
``width`` pixels wide. The command that wrote the committed clip is in its licence file.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mineguard.data.datasets.images import is_image_file, read_rgb


def zoom(rgb: np.ndarray, scale: float, size: tuple[int, int]) -> np.ndarray:
    """The centre 1/scale of ``rgb`` resized to ``size`` (width, height)."""
    height, width = rgb.shape[:2]
    w, h = round(width / scale), round(height / scale)
    x, y = (width - w) // 2, (height - h) // 2
    return cv2.resize(rgb[y : y + h, x : x + w], size, interpolation=cv2.INTER_AREA)


def make_demo_clip(
    frames_dir: Path, out: Path, *, width: int = 960, fps: int = 5, hold_s: float = 4.0, max_zoom: float = 1.08
) -> Path:
    import av

    stills = sorted(p for p in frames_dir.iterdir() if is_image_file(p))
    if not stills:
        raise ValueError(f"{frames_dir}: no images to make a clip from")
    first = read_rgb(stills[0])
    size = (width - width % 2, round(first.shape[0] * width / first.shape[1]) // 2 * 2)
    steps = max(1, round(hold_s * fps))
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "30", "preset": "medium"})
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for path in stills:
            rgb = read_rgb(path)
            for k in range(steps):
                frame = zoom(rgb, 1.0 + (max_zoom - 1.0) * k / steps, size)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return out
