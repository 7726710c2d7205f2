"""The tracker's configuration and its typed result: ``ByteTrackConfig``, ``Track``, ``TrackState``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum

import numpy as np


class TrackState(StrEnum):
    """Life cycle of a track: ``new`` (seen once, unconfirmed) → ``tracked`` ⇄ ``lost`` → ``removed``."""

    NEW = "new"
    TRACKED = "tracked"
    LOST = "lost"
    REMOVED = "removed"


@dataclass(frozen=True)
class ByteTrackConfig:
    """ByteTrack settings; defaults are the paper's MOT17 values.

    The IoU thresholds are *minimum similarities*; the authors' code states the same numbers as
    maximum distances ``1 − IoU`` (``match_thresh=0.8`` ⇔ ``match_iou=0.2``, second stage 0.5 ⇔ 0.5,
    unconfirmed 0.7 ⇔ 0.3).

    Attributes:
        track_thresh: a detection scoring ≥ this is *high* (first association stage).
        low_thresh: a detection scoring in ``[low_thresh, track_thresh)`` is *low* (second stage,
            the BYTE step); ``low_thresh == track_thresh`` turns the second stage off.
        new_track_thresh: an unmatched high detection scoring ≥ this starts a track.
        match_iou: first stage (high detections ↔ tracked and lost tracks) minimum similarity.
        low_match_iou: second stage (low detections ↔ still unmatched tracked tracks) minimum IoU.
        unconfirmed_match_iou: minimum similarity for a one-frame-old track's second match.
        track_buffer: frames a lost track is kept at 30 fps; scaled by ``frame_rate / 30``.
        frame_rate: frames per second of the source.
        fuse_score: first-stage similarity is ``IoU × detection score`` (the authors' MOT17 code).
        class_agnostic: associate across classes; by default a track only takes boxes of its class.
    """

    track_thresh: float = 0.5
    low_thresh: float = 0.1
    new_track_thresh: float = 0.6
    match_iou: float = 0.2
    low_match_iou: float = 0.5
    unconfirmed_match_iou: float = 0.3
    track_buffer: int = 30
    frame_rate: float = 30.0
    fuse_score: bool = True
    class_agnostic: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                raise ValueError(f"ByteTrackConfig.{f.name} must be a bool, got {value!r}")
            if f.type == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"ByteTrackConfig.{f.name} must be a number, got {value!r}")
        for name in ("track_thresh", "low_thresh", "new_track_thresh"):
            _check_range(name, getattr(self, name), low=0.0, low_open=False)
        for name in ("match_iou", "low_match_iou", "unconfirmed_match_iou"):
            _check_range(name, getattr(self, name), low=0.0, low_open=True)
        if self.low_thresh > self.track_thresh:
            raise ValueError(
                f"ByteTrackConfig.low_thresh ({self.low_thresh}) must be <= track_thresh ({self.track_thresh})"
            )
        if self.new_track_thresh < self.track_thresh:
            raise ValueError(
                f"ByteTrackConfig.new_track_thresh ({self.new_track_thresh}) must be >= track_thresh "
                f"({self.track_thresh}): only high-score detections start tracks"
            )
        if isinstance(self.track_buffer, bool) or not isinstance(self.track_buffer, int) or self.track_buffer < 0:
            raise ValueError(f"ByteTrackConfig.track_buffer must be an int >= 0, got {self.track_buffer!r}")
        if not (math.isfinite(self.frame_rate) and self.frame_rate > 0):
            raise ValueError(f"ByteTrackConfig.frame_rate must be a finite number > 0, got {self.frame_rate!r}")

    @property
    def max_time_lost(self) -> int:
        """Frames a lost track survives: ``int(frame_rate / 30 × track_buffer)``."""
        return int(self.frame_rate / 30.0 * self.track_buffer)


def _check_range(name: str, value: float, *, low: float, low_open: bool) -> None:
    ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= 1.0
    if not ok:
        bound = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"ByteTrackConfig.{name} must be in {bound}, got {value!r}")


@dataclass(frozen=True)
class Track:
    """One track as seen after a frame.

    Attributes:
        track_id: stable id, unique within one ``ByteTracker`` (1, 2, …); never reused.
        xyxy: (4,) float32 box corners in pixels — the Kalman estimate after this frame's update
            (for a lost track, its prediction).
        class_id: class of the track (of its last matched box when class-agnostic).
        score: confidence of the last matched detection.
        state: ``TrackState``.
        confirmed: matched on two frames (or started on the first frame of the stream).
        hits: number of detections matched to this track, the first included.
        age: frames since the track started, counting both ends (``frame − first_seen + 1``).
        first_seen: frame index (1-based) of the first detection.
        last_seen: frame index of the last matched detection.
    """

    track_id: int
    xyxy: np.ndarray
    class_id: int
    score: float
    state: TrackState
    confirmed: bool
    hits: int
    age: int
    first_seen: int
    last_seen: int


def track_arrays(tracks: Sequence[Track]) -> tuple[np.ndarray, np.ndarray]:
    """(N,) int64 ids and (N, 4) float32 boxes of ``tracks``, the input of ``evaluation.tracking``."""
    ids = np.array([t.track_id for t in tracks], dtype=np.int64)
    boxes = np.array([t.xyxy for t in tracks], dtype=np.float32).reshape(-1, 4)
    return ids, boxes
