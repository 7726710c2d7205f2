"""The live camera path: frames → detections → tracks → vision events with evidence."""

from mineguard.runtime.watch.evidence import ClipBuffer, annotate, encode_clip, encode_jpeg
from mineguard.runtime.watch.pipeline import CameraWatch, Detector, Evidence, Outcome, StageTimes
from mineguard.runtime.watch.runner import CameraStats, Sink, WatchRunner

__all__ = [
    "CameraStats",
    "CameraWatch",
    "ClipBuffer",
    "Detector",
    "Evidence",
    "Outcome",
    "Sink",
    "StageTimes",
    "WatchRunner",
    "annotate",
    "encode_clip",
    "encode_jpeg",
]
