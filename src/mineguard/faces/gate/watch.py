"""A gate camera's live path: frame → faces (Haar) → ByteTrack → per-crop quality → one decision per track.

:class:`GateWatch` has the shape :class:`~mineguard.runtime.watch.WatchRunner` drives (``step``,
``take``, ``judge_frame``, ``close``), so a gate camera runs next to scene cameras in
``mineguard watch`` and its decisions reach the service through the same sink, the best crop
uploaded as the event's snapshot evidence. Each frame:

1. :class:`HaarFaces` finds faces with OpenCV's bundled frontal cascade (no download); the
   cascade has no calibrated score, so every face it keeps scores 1.0 for the tracker.
2. The tracker (``runtime.tracking.ByteTracker``) links faces across frames; each track's face
   box is aligned on the eye line (``faces.align``) and measured (``faces.quality``: size, exposure,
   contrast, blur, pose, dust).
3. The track's centre is followed across the site file's line (``runtime.scene.gate_line``).
4. A track is decided once (``decide.decide_track``): as soon as it has passed the line and holds
   ``best_crops`` usable crops, or when it ends (not seen for the tracker's ``max_time_lost``
   frames, or the camera stops) — with the direction it passed, or none.

Crops kept per track are bounded (the ``4 x best_crops`` best usable ones plus a count of the rest).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import cv2
import numpy as np

from mineguard.data.records import Detections
from mineguard.faces.align import DETECTOR_MARGIN, HaarEyeDetector, align_face
from mineguard.faces.detect import FaceBox, HaarFaceDetector
from mineguard.faces.gate.decide import Embedder, GateCrop, GateDecision, decide_track, why_undecided
from mineguard.faces.identify import Identifier
from mineguard.faces.quality import QualityGates, check_quality
from mineguard.runtime.scene.gate_line import GateLine, LineCrossing
from mineguard.runtime.tracking import ByteTrackConfig, ByteTracker, Track
from mineguard.runtime.video import CameraReader, Frame
from mineguard.runtime.watch import Evidence, Outcome, StageTimes, encode_jpeg
from mineguard.runtime.watch.pipeline import step_watch

FACE_CLASS = 0


class HaarFaces:
    """The runtime's ``Detector`` over ``faces.detect.HaarFaceDetector``: RGB frame → face boxes."""

    def __init__(self, detector: HaarFaceDetector | None = None) -> None:
        self.names = ["face"]
        self.detector = detector or HaarFaceDetector(min_size=40)
        self.last_faces: list[FaceBox] = []

    def predict(self, image: np.ndarray) -> Detections:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        self.last_faces = suppress_overlaps(self.detector.detect(grey))
        if not self.last_faces:
            return Detections.empty()
        xyxy = np.array([f.xyxy for f in self.last_faces], np.float32)
        return Detections(xyxy, np.full(len(xyxy), FACE_CLASS), np.ones(len(xyxy), np.float32))


def suppress_overlaps(faces: list[FaceBox], *, overlap: float = 0.3) -> list[FaceBox]:
    """Drop a face box (largest first) that covers more than ``overlap`` of its area with a larger kept
    one: the cascade often fires twice on one face, shifted, and two boxes would make two tracks."""
    kept: list[FaceBox] = []
    for face in faces:
        if all(k.intersection(face) <= overlap * face.area for k in kept):
            kept.append(face)
    return kept


@dataclass(frozen=True)
class GateSettings:
    """How one gate camera decides (the site file's ``view.gate``, ``mine.cameras.GateConfig``)."""

    line: GateLine
    hysteresis_px: float = 12.0
    best_crops: int = 5
    gates: QualityGates = field(default_factory=lambda: QualityGates(min_frontal=0.5, max_dust=0.25))
    crop_size: int = 112


@dataclass
class _TrackFaces:
    first_seen: datetime
    crossing: LineCrossing
    last_frame: int
    crops: list[GateCrop] = field(default_factory=list)
    failed: list[GateCrop] = field(default_factory=list)  # the best-looking failures, for evidence
    seen: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # every failed gate of every crop
    first_reasons: Counter[str] = field(default_factory=Counter)  # the first failed gate of each crop


@dataclass
class GateWatch:
    camera: str
    zone: str
    reader: CameraReader
    settings: GateSettings
    embedder: Embedder
    identifier: Identifier
    detector: HaarFaces = field(default_factory=HaarFaces)
    tracker: ByteTracker = field(default_factory=lambda: ByteTracker(ByteTrackConfig(frame_rate=10.0)))
    frames_done: int = 0

    def __post_init__(self) -> None:
        self.eyes = HaarEyeDetector()
        self._tracks: dict[int, _TrackFaces] = {}
        self._decided: set[int] = set()
        self._closing: dict[str, Evidence] = {}

    def step(self, timeout_s: float = 1.0) -> Outcome | None:
        return step_watch(self, timeout_s)

    def take(self, timeout_s: float = 1.0) -> Frame | None:
        return self.reader.next_frame(timeout_s)

    def judge_frame(self, frame: Frame, detections: Detections, wait_ms: float, detect_ms: float) -> Outcome:
        start = time.perf_counter()
        tracks = self.tracker.update(detections)
        tracked = time.perf_counter()
        grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY) if frame.rgb.ndim == 3 else frame.rgb
        decisions = [d for track in tracks if (d := self._observe(frame, grey, track, detections)) is not None]
        decisions += self._ended(frame.time)
        judged = time.perf_counter()
        evidence = {d.event_id: self._evidence(d) for d in decisions if d.best_crop is not None}
        done = time.perf_counter()
        self.frames_done += 1
        times = StageTimes(
            wait_ms, detect_ms, 1000.0 * (tracked - start), 1000.0 * (judged - tracked), 1000.0 * (done - judged)
        )
        return Outcome(self.camera, frame, tracks, decisions, evidence, times)

    def close(self, error: str | None = None) -> list[GateDecision]:
        """Stop the camera and decide every track still open."""
        self.reader.stop(error=error)
        now = datetime.now(UTC)
        decisions = [self._decide(track_id, now) for track_id in list(self._tracks)]
        self._closing = {d.event_id: self._evidence(d) for d in decisions if d.best_crop is not None}
        return decisions

    def closing_evidence(self) -> dict[str, Evidence]:
        return self._closing

    def _observe(self, frame: Frame, grey: np.ndarray, track: Track, detections: Detections) -> GateDecision | None:
        state = self._tracks.get(track.track_id)
        if track.track_id in self._decided:
            return None
        if state is None:
            crossing = LineCrossing(self.settings.line, self.settings.hysteresis_px)
            state = self._tracks[track.track_id] = _TrackFaces(frame.time, crossing, self.tracker.frame_id)
        state.last_frame = self.tracker.frame_id
        box = _matching_box(track, detections)
        if box is not None:
            self._measure(state, frame.time, grey, box)
        x1, y1, x2, y2 = (float(v) for v in track.xyxy)
        state.crossing.update(((x1 + x2) / 2.0, (y1 + y2) / 2.0))
        if state.crossing.net is not None and len(state.crops) >= self.settings.best_crops:
            return self._decide(track.track_id, frame.time)
        return None

    def _measure(self, state: _TrackFaces, t: datetime, grey: np.ndarray, box: FaceBox) -> None:
        aligned = align_face(grey, box, size=self.settings.crop_size, eye_detector=self.eyes)
        eyes = _eyes_in_crop(aligned.eyes, box, self.settings.crop_size) if aligned.eyes_found else None
        report = check_quality(aligned.image, gates=self.settings.gates, size_px=(box.w, box.h), eyes=eyes)
        crop = GateCrop(t, aligned.image, box, report)
        state.seen += 1
        state.reasons.update(report.reasons)
        state.first_reasons.update(report.reasons[:1])
        keep = 4 * self.settings.best_crops
        if report.passed:
            state.crops.append(crop)
            if len(state.crops) > keep:
                state.crops.remove(min(state.crops, key=lambda c: c.rank))
        else:
            state.failed.append(crop)
            if len(state.failed) > keep:  # keep the best-looking failures as evidence, count every reason
                state.failed.remove(min(state.failed, key=lambda c: c.rank))

    def _ended(self, now: datetime) -> list[GateDecision]:
        horizon = self.tracker.config.max_time_lost
        gone = [tid for tid, s in self._tracks.items() if self.tracker.frame_id - s.last_frame > horizon]
        return [self._decide(tid, now) for tid in gone]

    def _decide(self, track_id: int, now: datetime) -> GateDecision:
        state = self._tracks.pop(track_id)
        self._decided.add(track_id)
        crops = state.crops + state.failed
        verdict = decide_track(
            crops, embedder=self.embedder, identifier=self.identifier, best_crops=self.settings.best_crops
        )
        ident = verdict.identification
        score = ident.score if ident is not None and np.isfinite(ident.score) else None
        best = verdict.used[0] if verdict.used else max(crops, key=lambda c: c.rank, default=None)
        why = why_undecided(state.first_reasons, state.seen) if verdict.outcome == "undecided" else None
        return GateDecision(
            camera=self.camera,
            zone=self.zone,
            track_id=track_id,
            outcome=verdict.outcome,
            person_id=ident.person_id if ident else None,
            confidence=min(max(score or 0.0, 0.0), 1.0),
            score=score,
            nearest_id=ident.nearest_id if ident else None,
            direction=state.crossing.net,
            t=now,
            first_seen=state.first_seen,
            crops_seen=state.seen,
            crops_used=len(verdict.used),
            reasons=dict(state.reasons),
            why=why,
            best_crop=best.image if best is not None else None,
            box=best.box if best is not None else None,
        )

    def _evidence(self, decision: GateDecision) -> Evidence:
        crop = decision.best_crop
        assert crop is not None
        return Evidence(encode_jpeg(cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)))


def _matching_box(track: Track, detections: Detections) -> FaceBox | None:
    """The detected face box the track took this frame (largest IoU with the track's estimate)."""
    if len(detections.xyxy) == 0:
        return None
    a = np.asarray(track.xyxy, np.float64)
    b = detections.xyxy.astype(np.float64)
    inter_w = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    inter_h = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    iou = inter / np.maximum(union, 1e-9)
    best = int(np.argmax(iou))
    if iou[best] < 0.5:
        return None
    x1, y1, x2, y2 = (round(float(v)) for v in b[best])
    return FaceBox(x1, y1, x2 - x1, y2 - y1, 1.0)


def _eyes_in_crop(
    eyes: tuple[tuple[float, float], tuple[float, float]] | None, box: FaceBox, size: int
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Eye centres from frame px to the aligned crop's px (rotation about the centre keeps the midpoint's
    horizontal offset up to the tilt; good enough for the balance measure)."""
    if eyes is None:
        return None
    side = min(box.w, box.h) * (1.0 + 2.0 * DETECTOR_MARGIN)
    cx, cy = box.center
    scale = size / side

    def to_crop(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[0] - cx) * scale + size / 2.0, (p[1] - cy) * scale + size / 2.0)

    return to_crop(eyes[0]), to_crop(eyes[1])
