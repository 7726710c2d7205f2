"""The evidence a vision event carries: a snapshot with boxes and regions drawn, and a short clip.

:func:`annotate` draws a frame's tracks (class-coloured boxes, ``#id class 0.87``) and the
camera's regions (red restricted, amber danger, blue watch) on a copy of the frame;
:func:`encode_jpeg` and :func:`encode_clip` turn pictures into bytes the service stores by content
hash. :class:`ClipBuffer` keeps the last ``seconds`` of annotated frames (downscaled to at most
``max_width`` pixels wide to bound memory), so the clip shows what led up to the event.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np

from mineguard.runtime.scene import Region
from mineguard.runtime.tracking import Track

PALETTE = [(0, 200, 0), (230, 0, 0), (0, 120, 230), (200, 0, 200), (0, 200, 200), (230, 160, 0)]
REGION_COLOURS = {"restricted": (230, 0, 0), "danger": (255, 170, 0), "watch": (0, 140, 255)}


def annotate(
    rgb: np.ndarray, tracks: Sequence[Track], names: Sequence[str], regions: Sequence[Region] = (), scale: float = 1.0
) -> np.ndarray:
    """A copy of ``rgb`` with the regions and the tracks drawn on it; ``scale``: of ``rgb`` to the
    picture the boxes and polygons were given in (a downscaled clip frame)."""
    out = np.ascontiguousarray(rgb.copy())
    thick = max(1, round(min(out.shape[:2]) / 240))
    for region in regions:
        points = np.round(np.asarray(region.polygon, np.float64) * scale).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [points], True, REGION_COLOURS[region.kind], thick)
        x, y = points[0, 0]
        cv2.putText(
            out, region.name, (int(x) + 3, int(y) + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, REGION_COLOURS[region.kind], 1
        )
    for track in tracks:
        x1, y1, x2, y2 = (round(float(v) * scale) for v in track.xyxy)
        colour = PALETTE[track.class_id % len(PALETTE)]
        name = names[track.class_id] if 0 <= track.class_id < len(names) else str(track.class_id)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thick)
        cv2.putText(
            out,
            f"#{track.track_id} {name} {track.score:.2f}",
            (x1, max(12, y1 - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            colour,
            1,
        )
    return out


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"could not encode a {rgb.shape} frame as JPEG")
    return data.tobytes()


def encode_clip(frames: Sequence[np.ndarray], fps: float) -> bytes:
    """An MP4 (MPEG-4 part 2, playable in browsers' fallbacks and every player) of ``frames``."""
    import av

    if not frames:
        raise ValueError("a clip needs at least one frame")
    height, width = frames[0].shape[:2]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=max(1, round(fps)))
        stream.width, stream.height, stream.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        for frame in frames:
            even = np.ascontiguousarray(frame[: stream.height, : stream.width])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(even, format="rgb24")))
        out.mux(stream.encode())
    return buffer.getvalue()


@dataclass(frozen=True)
class ClipFrame:
    t: datetime
    rgb: np.ndarray
    tracks: tuple[Track, ...]
    scale: float


class ClipBuffer:
    """The last ``seconds`` of frames, each downscaled to at most ``max_width`` pixels wide, with
    their tracks; boxes are drawn only when a clip is made (:meth:`frames`), not on every frame."""

    def __init__(self, seconds: float = 5.0, max_width: int = 480) -> None:
        if not seconds > 0:
            raise ValueError(f"clip seconds must be > 0, got {seconds}")
        self.seconds, self.max_width = seconds, max_width
        self._frames: deque[ClipFrame] = deque()

    def add(self, t: datetime, rgb: np.ndarray, tracks: Sequence[Track] = ()) -> None:
        height, width = rgb.shape[:2]
        scale = 1.0
        if width > self.max_width:
            scale = self.max_width / width
            rgb = cv2.resize(rgb, (self.max_width, round(height * scale)), interpolation=cv2.INTER_LINEAR)
        else:
            rgb = rgb.copy()  # the caller's frame may be reused
        self._frames.append(ClipFrame(t, rgb, tuple(tracks), scale))
        while self._frames and (t - self._frames[0].t).total_seconds() > self.seconds:
            self._frames.popleft()

    def frames(self, names: Sequence[str] = (), regions: Sequence[Region] = ()) -> list[np.ndarray]:
        """The buffered frames with their tracks and ``regions`` drawn."""
        return [annotate(f.rgb, f.tracks, names, regions, f.scale) for f in self._frames]

    def fps(self) -> float:
        """The rate the buffered frames arrived at (what a clip should play them back at)."""
        if len(self._frames) < 2:
            return 1.0
        span = (self._frames[-1].t - self._frames[0].t).total_seconds()
        return (len(self._frames) - 1) / span if span > 0 else 1.0

    def __len__(self) -> int:
        return len(self._frames)
