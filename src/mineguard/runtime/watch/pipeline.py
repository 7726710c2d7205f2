"""One camera's live path: newest frame → detector → tracker → scene rules → events with evidence.

:class:`CameraWatch` does one frame per :meth:`~CameraWatch.step` and reports how long each stage
took (waiting for the frame, inference, tracking, rules, evidence), so ``mineguard bench video``
and the operator see where the time goes. A raised event carries a JPEG snapshot with the boxes
and regions drawn and, when ``clip_s`` > 0, the last seconds of annotated frames as an MP4.
Where the events go is the caller's business (:mod:`mineguard.edge` posts them to the service),
so this package stays free of web code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from mineguard.data.records import Detections
from mineguard.runtime.scene import Region, SceneJudge, VisionEvent
from mineguard.runtime.tracking import ByteTracker, Track
from mineguard.runtime.video import CameraReader, Frame
from mineguard.runtime.watch.evidence import ClipBuffer, annotate, encode_clip, encode_jpeg


class Detector(Protocol):
    """Anything that turns an RGB uint8 frame into typed detections: eager or onnxruntime."""

    names: list[str]

    def predict(self, image: np.ndarray) -> Detections: ...


class WireEvent(Protocol):
    """What a camera reports: a scene rule's :class:`VisionEvent` or a gate's identity decision
    (``mineguard.faces.gate``); ``wire()`` is the body of ``POST /api/v1/events``."""

    @property
    def event_id(self) -> str: ...

    def wire(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Evidence:
    snapshot_jpeg: bytes
    clip_mp4: bytes | None = None


@dataclass(frozen=True)
class StageTimes:
    wait_ms: float
    detect_ms: float
    track_ms: float
    rules_ms: float
    evidence_ms: float


@dataclass(frozen=True)
class Outcome:
    """What one frame produced; ``evidence`` is keyed by the raised events' ``event_id``."""

    camera: str
    frame: Frame
    tracks: list[Track]
    events: Sequence[WireEvent]
    evidence: dict[str, Evidence]
    times: StageTimes


@dataclass
class CameraWatch:
    camera: str
    reader: CameraReader
    detector: Detector
    judge: SceneJudge
    tracker: ByteTracker = field(default_factory=ByteTracker)
    regions: Sequence[Region] = ()
    clip_s: float = 5.0
    frames_done: int = 0

    def __post_init__(self) -> None:
        self._clip = ClipBuffer(self.clip_s) if self.clip_s > 0 else None
        self._checked_size: tuple[int, int] | None = None

    def step(self, timeout_s: float = 1.0) -> Outcome | None:
        """Judge the newest frame; None when no frame came within ``timeout_s``."""
        return step_watch(self, timeout_s)

    def take(self, timeout_s: float = 1.0) -> Frame | None:
        """The newest frame (its regions checked against its size), or None within ``timeout_s``."""
        frame = self.reader.next_frame(timeout_s)
        if frame is not None:
            self._check_regions(frame.rgb)
        return frame

    def judge_frame(self, frame: Frame, detections: Detections, wait_ms: float, detect_ms: float) -> Outcome:
        """Track, judge and keep evidence for a frame whose detections are known (one camera of a
        batch detected together, or :meth:`step`)."""
        start = time.perf_counter()
        tracks = self.tracker.update(detections)
        tracked = time.perf_counter()
        events = self.judge.update(frame.time, tracks)
        judged = time.perf_counter()
        evidence = self._evidence(frame, tracks, events)
        done = time.perf_counter()
        self.frames_done += 1
        times = StageTimes(
            wait_ms, detect_ms, 1000.0 * (tracked - start), 1000.0 * (judged - tracked), 1000.0 * (done - judged)
        )
        return Outcome(self.camera, frame, tracks, events, evidence, times)

    def close(self, error: str | None = None) -> list[VisionEvent]:
        """Stop the camera (``error`` says why, when it failed) and clear whatever it had raised."""
        self.reader.stop(error=error)
        return self.judge.close(datetime.now(UTC))

    def closing_evidence(self) -> dict[str, Evidence]:
        """Evidence of the events :meth:`close` returned: none, clearing an event shows nothing new."""
        return {}

    def _check_regions(self, rgb: np.ndarray) -> None:
        size = (rgb.shape[1], rgb.shape[0])
        if size != self._checked_size:
            for region in self.regions:
                region.check_frame(self.camera, *size)
            self._checked_size = size

    def _evidence(self, frame: Frame, tracks: list[Track], events: list[VisionEvent]) -> dict[str, Evidence]:
        if self._clip is not None:
            self._clip.add(frame.time, frame.rgb, tracks)
        raised = [e for e in events if e.raised]
        if not raised:
            return {}
        snapshot = encode_jpeg(annotate(frame.rgb, tracks, self.detector.names, self.regions))
        clip = None
        if self._clip is not None and len(self._clip) > 1:
            clip = encode_clip(self._clip.frames(self.detector.names, self.regions), self._clip.fps())
        return {e.event_id: Evidence(snapshot, clip) for e in raised}


class Watch(Protocol):
    """One camera's pipeline as :class:`~mineguard.runtime.watch.runner.WatchRunner` drives it:
    :class:`CameraWatch` (detector and scene rules) or a gate camera (``mineguard.faces.gate.GateWatch``)."""

    camera: str
    reader: CameraReader
    detector: Detector

    def step(self, timeout_s: float = 1.0) -> Outcome | None: ...

    def take(self, timeout_s: float = 1.0) -> Frame | None: ...

    def judge_frame(self, frame: Frame, detections: Detections, wait_ms: float, detect_ms: float) -> Outcome: ...

    def close(self, error: str | None = None) -> Sequence[WireEvent]: ...

    def closing_evidence(self) -> Mapping[str, Evidence]: ...


def step_watch(watch: Watch, timeout_s: float = 1.0) -> Outcome | None:
    """One step of any :class:`Watch`: take the newest frame, detect, judge, with the wait and detection
    times; None when no frame came within ``timeout_s``."""
    start = time.perf_counter()
    frame = watch.take(timeout_s)
    waited = time.perf_counter()
    if frame is None:
        return None
    detections = watch.detector.predict(frame.rgb)
    return watch.judge_frame(frame, detections, 1000.0 * (waited - start), 1000.0 * (time.perf_counter() - waited))
