"""Cameras to vision events with evidence, through real video files, the tracker and the scene rules."""

from __future__ import annotations

import io
from pathlib import Path

import av
import cv2
import numpy as np

from mineguard.data.records import Detections
from mineguard.runtime.scene import ClassRule, Region, SceneJudge, SceneRules
from mineguard.runtime.tracking import ByteTracker
from mineguard.runtime.video import CameraReader
from mineguard.runtime.watch import CameraWatch, WatchRunner
from videos import write_video

NAMES = ["helmet", "no_helmet"]


class GreyDetector:
    """A stand-in model with a known answer: a bright frame (grey >= 60) shows one person without a
    helmet at a fixed spot; a dark frame shows nobody."""

    names = NAMES

    def predict(self, image: np.ndarray) -> Detections:
        if image.mean() >= 60:
            return Detections(np.array([[10, 8, 30, 40]], np.float32), np.array([1]), np.array([0.9], np.float32))
        return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros(0, np.float32))


class ListSink:
    def __init__(self) -> None:
        self.sent, self.healths = [], []

    def send(self, camera, events, evidence) -> None:
        self.sent += [(camera, e, evidence.get(e.event_id)) for e in events]

    def health(self, health) -> None:
        self.healths.append((health.camera, health.state, health.last_error))


def watch_of(camera: str, clip: Path, regions=(), **kw) -> CameraWatch:
    rules = SceneRules(class_events=(ClassRule("no_helmet", "no_helmet"),), raise_s=0.3, clear_s=0.5)
    judge = SceneJudge(camera, "face_1", NAMES, regions=regions, rules=rules)
    reader = CameraReader(camera, str(clip), realtime=False)
    return CameraWatch(camera, reader, GreyDetector(), judge, ByteTracker(), regions=regions, **kw)


def test_no_helmet_on_video_raises_with_snapshot_and_clip_then_clears(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "gate.mp4", 25)  # grey 10*i: frames 6..24 are bright
    sink = ListSink()
    stats = WatchRunner([watch_of("cam-1", clip, clip_s=2.0)], sink).run()
    assert stats["cam-1"].frames == 25 and stats["cam-1"].error is None
    labels = [(e.label, e.raised) for _, e, _ in sink.sent]
    assert labels == [("no_helmet", True), ("no_helmet", False)]  # raised while seen, cleared when the file ends
    _, raised, evidence = sink.sent[0]
    assert raised.wire()["device_id"] == "cam-1" and raised.wire()["value"] is True
    snapshot = cv2.imdecode(np.frombuffer(evidence.snapshot_jpeg, np.uint8), cv2.IMREAD_COLOR)
    edge = snapshot[8, 12:28].astype(int)  # the top edge of the box, drawn in red (BGR order here)
    assert snapshot.shape == (48, 64, 3) and edge[:, 2].mean() > edge[:, 1].mean() + 30
    with av.open(io.BytesIO(evidence.clip_mp4)) as played:
        assert sum(1 for _ in played.decode(video=0)) >= 2
    states = [s for c, s, _ in sink.healths]  # each change once; "connecting" only if seen before the first frame
    assert states[-2:] == ["streaming", "ended"] and set(states) <= {"connecting", "streaming", "ended"}
    assert set(stats["cam-1"].mean_ms()) == {"wait_ms", "detect_ms", "track_ms", "rules_ms", "evidence_ms"}


def test_a_camera_with_a_wrong_view_stops_and_the_others_go_on(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "gate.mp4", 20)
    outside = Region("bay", "restricted", ((0, 0), (500, 0), (500, 40)))  # the picture is 64x48
    sink = ListSink()
    stats = WatchRunner([watch_of("cam-bad", clip, regions=[outside]), watch_of("cam-ok", clip)], sink).run()
    assert "view.regions[bay].polygon[1] = [500, 0] is outside the 64x48 picture" in stats["cam-bad"].error
    assert stats["cam-ok"].frames == 20 and stats["cam-bad"].frames == 0
    assert ("cam-bad", "stopped", stats["cam-bad"].error) in sink.healths
    assert [e.label for c, e, _ in sink.sent if c == "cam-ok"] == ["no_helmet", "no_helmet"]


def test_a_broken_sink_does_not_stop_the_camera(tmp_path: Path) -> None:
    class Down(ListSink):
        def send(self, camera, events, evidence) -> None:
            raise ConnectionError("service down")

    stats = WatchRunner([watch_of("cam-1", write_video(tmp_path / "a.mp4", 15), clip_s=0)], Down()).run()
    assert stats["cam-1"].frames == 15 and stats["cam-1"].events == 1


def test_max_fps_judges_at_most_that_many_frames_a_second(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "gate.mp4", 30)  # 3 s at 10 fps, played in real time
    watch = watch_of("cam-1", clip, clip_s=0)
    watch.reader.realtime = True
    stats = WatchRunner([watch], ListSink(), max_fps=2.0).run()
    assert 4 <= stats["cam-1"].frames <= 8  # ~2 a second over ~3 s; the reader dropped the rest
    assert watch.reader.health().frames_dropped >= 20


class BatchGreyDetector(GreyDetector):
    """The same answers, with ``predict_batch``; counts how many frames each call carried."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def predict(self, image: np.ndarray) -> Detections:
        self.batches.append(1)  # a camera alone in its round
        return super().predict(image)

    def predict_batch(self, images: list[np.ndarray]) -> list[Detections]:
        self.batches.append(len(images))
        return [super(BatchGreyDetector, self).predict(image) for image in images]


def test_cameras_sharing_a_detector_are_detected_in_one_batch(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "gate.mp4", 20)
    shared = BatchGreyDetector()
    outside = Region("bay", "restricted", ((0, 0), (500, 0), (500, 40)))
    watches = [watch_of(f"cam-{i}", clip) for i in range(3)] + [watch_of("cam-bad", clip, regions=[outside])]
    for watch in watches:
        watch.detector = shared
    sink = ListSink()
    stats = WatchRunner(watches, sink, batch=True).run()
    assert [stats[f"cam-{i}"].frames for i in range(3)] == [20, 20, 20]
    assert max(shared.batches) >= 2  # frames of several cameras went in one call
    assert sum(shared.batches) == 60  # every judged frame detected once; the bad camera's never
    assert "outside the 64x48 picture" in stats["cam-bad"].error and stats["cam-bad"].frames == 0
    for i in range(3):  # the same events as one camera at a time
        assert [(e.label, e.raised) for c, e, _ in sink.sent if c == f"cam-{i}"] == [
            ("no_helmet", True),
            ("no_helmet", False),
        ]
