"""Live video for the camera runtime: frame sources and a reader thread per camera."""

from mineguard.runtime.video.reader import CameraHealth, CameraReader, Frame
from mineguard.runtime.video.sources import FrameSource, SourceError, SourceOptions, open_source, source_kind

__all__ = [
    "CameraHealth",
    "CameraReader",
    "Frame",
    "FrameSource",
    "SourceError",
    "SourceOptions",
    "open_source",
    "source_kind",
]
