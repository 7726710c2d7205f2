"""Where a camera's frames come from: a video file, a folder of frames, a network stream, a webcam.

:func:`open_source` turns one camera's ``source`` (as written in the site file or on the command
line) into a :class:`FrameSource` that hands out RGB uint8 frames one at a time:

- ``rtsp://``, ``rtsps://``, ``http(s)://``, ``rtmp://``, ``udp://``, ``tcp://`` — a network
  stream, decoded by PyAV (FFmpeg) with socket time-outs, so a dead camera is noticed rather
  than waited on for ever;
- a digit string such as ``"0"`` — a local webcam through OpenCV;
- a folder — its images in name order (``frame_0001.jpg`` ...), at ``fps`` frames per second;
- any other path — a video file (any container and codec FFmpeg reads).

A source never raises a bare library error: everything that goes wrong becomes a
:class:`SourceError` that names the camera and says what to check.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np

from mineguard.data.datasets.images import is_image_file, read_rgb
from mineguard.data.errors import DatasetError

STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
SourceKind = Literal["stream", "webcam", "folder", "file"]


class SourceError(RuntimeError):
    """A camera source that cannot be opened or read; the message names the camera."""

    def __init__(self, camera: str, message: str) -> None:
        super().__init__(f"camera {camera!r}: {message}")
        self.camera = camera


@dataclass(frozen=True)
class SourceOptions:
    """How to open a source. ``fps`` paces folders (files and streams carry their own rate)."""

    fps: float = 10.0
    timeout_s: float = 10.0
    rtsp_transport: Literal["tcp", "udp"] = "tcp"
    loop: bool = False

    def __post_init__(self) -> None:
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise ValueError(f"fps must be a positive number, got {self.fps}")
        if not (self.timeout_s > 0 and np.isfinite(self.timeout_s)):
            raise ValueError(f"timeout_s must be a positive number of seconds, got {self.timeout_s}")
        if self.rtsp_transport not in ("tcp", "udp"):
            raise ValueError(f"rtsp_transport must be 'tcp' or 'udp', got {self.rtsp_transport!r}")


class FrameSource(Protocol):
    """One opened camera. ``read`` gives the next RGB frame, or None at the end of a file.

    ``duration_s`` is how long a recording plays (None for a live camera, a looped recording or
    a file that does not say): a recording read offline ends, in media time, when it was opened.
    """

    kind: SourceKind
    fps: float | None
    duration_s: float | None

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


def source_kind(source: str) -> SourceKind:
    """What ``source`` names, from its text alone (no I/O)."""
    text = source.strip()
    if text.lower().startswith(STREAM_SCHEMES):
        return "stream"
    if text.isdigit():
        return "webcam"
    return "folder" if Path(text).is_dir() else "file"


def open_source(camera: str, source: str, options: SourceOptions | None = None) -> FrameSource:
    """Open ``source`` for ``camera``; a :class:`SourceError` that says what to fix when it cannot."""
    options = options or SourceOptions()
    kind = source_kind(source)
    if kind == "webcam":
        return WebcamSource(camera, int(source))
    if kind == "folder":
        return FolderSource(camera, Path(source), options)
    if kind == "file" and not Path(source).is_file():
        raise SourceError(
            camera,
            f"{source}: no such file or folder, and not a stream URL (use one of {', '.join(STREAM_SCHEMES)} "
            "or a webcam index such as 0)",
        )
    return PyAVSource(camera, source, kind, options)


class PyAVSource:
    """A video file or network stream decoded by PyAV, first video stream only."""

    def __init__(self, camera: str, url: str, kind: SourceKind, options: SourceOptions) -> None:
        import av  # imported here: PyAV loads FFmpeg, which a process without cameras never needs

        self.camera, self.url, self.kind, self._options = camera, url, kind, options
        av_options = {}
        if url.lower().startswith(("rtsp://", "rtsps://")):
            av_options["rtsp_transport"] = options.rtsp_transport
        try:
            self._container = av.open(url, options=av_options, timeout=(options.timeout_s, options.timeout_s))
        except av.FFmpegError as exc:
            raise SourceError(camera, f"cannot open {url}: {exc} — {_hint(kind)}") from exc
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(camera, f"{url} has no video stream")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self.fps = float(stream.average_rate) if stream.average_rate else None
        self.duration_s = self._duration(stream) if kind == "file" and not options.loop else None
        self._frames = self._decode()

    def _duration(self, stream) -> float | None:
        if self._container.duration:
            return self._container.duration / 1_000_000  # av.time_base: microseconds
        return stream.frames / self.fps if stream.frames and self.fps else None

    def _decode(self) -> Iterator[np.ndarray]:
        import av

        try:
            for frame in self._container.decode(video=0):
                yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as exc:
            raise SourceError(self.camera, f"reading {self.url} failed: {exc} — {_hint(self.kind)}") from exc

    def read(self) -> np.ndarray | None:
        frame = next(self._frames, None)
        if frame is None and self._options.loop and self.kind == "file":
            self._container.seek(0)
            self._frames = self._decode()
            frame = next(self._frames, None)
        return frame

    def close(self) -> None:
        self._container.close()


class FolderSource:
    """A folder of images played in name order, paced at ``options.fps``."""

    kind: SourceKind = "folder"

    def __init__(self, camera: str, folder: Path, options: SourceOptions) -> None:
        self.camera, self._options = camera, options
        self._paths = sorted(p for p in folder.iterdir() if is_image_file(p))
        if not self._paths:
            raise SourceError(camera, f"{folder}: no images (.jpg, .png, ...) in this folder")
        self.fps: float | None = options.fps
        self.duration_s = None if options.loop else len(self._paths) / options.fps
        self._next = 0

    def read(self) -> np.ndarray | None:
        while True:
            if self._next >= len(self._paths):
                if not self._options.loop:
                    return None
                self._next = 0
            path = self._paths[self._next]
            self._next += 1
            try:
                return read_rgb(path)
            except DatasetError:
                continue  # one unreadable frame is skipped; the folder plays on

    def close(self) -> None:
        self._next = len(self._paths)


class WebcamSource:
    """A local camera by index, through OpenCV's capture."""

    kind: SourceKind = "webcam"
    duration_s: float | None = None

    def __init__(self, camera: str, index: int) -> None:
        self.camera = camera
        self._capture = cv2.VideoCapture(index)
        if not self._capture.isOpened():
            self._capture.release()
            raise SourceError(camera, f"webcam {index} cannot be opened — is it plugged in and free?")
        rate = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(rate) if rate and rate > 0 else None

    def read(self) -> np.ndarray | None:
        ok, bgr = self._capture.read()
        if not ok:
            raise SourceError(self.camera, "the webcam stopped giving frames")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._capture.release()


def _hint(kind: SourceKind) -> str:
    if kind == "stream":
        return "check the URL, the camera's credentials and that it answers on this network"
    return "check that the file is a complete video in a format FFmpeg reads"


def pace(fps: float | None, started: float, count: int) -> None:
    """Sleep until frame ``count`` is due at ``fps`` since ``started`` (a monotonic time)."""
    if fps:
        delay = started + count / fps - time.monotonic()
        if delay > 0:
            time.sleep(delay)
