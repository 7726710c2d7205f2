"""The live camera path: frames → detections → tracks → vision events with evidence."""

from mineguard.runtime.watch.evidence import ClipBuffer, annotate, encode_clip, encode_jpeg
from mineguard.runtime.watch.measure import STAGES, PipelineSpeed, measure_watch
from mineguard.runtime.watch.pipeline import CameraWatch, Detector, Evidence, Outcome, StageTimes, Watch, WireEvent
from mineguard.runtime.watch.runner import CameraStats, Sink, WatchRunner

__all__ = [
    "STAGES",
    "CameraStats",
    "CameraWatch",
    "ClipBuffer",
    "Detector",
    "Evidence",
    "Outcome",
    "PipelineSpeed",
    "Sink",
    "StageTimes",
    "Watch",
    "WatchRunner",
    "WireEvent",
    "annotate",
    "encode_clip",
    "encode_jpeg",
    "measure_watch",
]
