"""ByteTracker on deterministic synthetic sequences: crossing, occlusion, exit/re-entry, the BYTE
second stage, per-class association, confirmation, hostile input and config validation."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.data.records import Detections
from mineguard.evaluation.matching import box_iou
from mineguard.evaluation.tracking import evaluate_tracking
from mineguard.runtime.tracking import ByteTrackConfig, ByteTracker, TrackState, track_arrays

# one frame: list of (ground-truth id, xyxy, score, class_id)
Frame = list[tuple[int, tuple[float, float, float, float], float, int]]


def person(x: float, y: float = 200.0, w: float = 40.0, h: float = 120.0) -> tuple[float, float, float, float]:
    return (x, y, x + w, y + h)


def run(frames: list[Frame], config: ByteTrackConfig | None = None) -> tuple[dict[int, list[int]], float]:
    """Track ``frames``; per ground-truth id the track ids it got, frame by frame, and the IDF1."""
    tracker = ByteTracker(config)
    seen: dict[int, list[int]] = {}
    gt_frames, pred_frames = [], []
    for frame in frames:
        dets = Detections(
            np.array([f[1] for f in frame], np.float32).reshape(-1, 4),
            np.array([f[3] for f in frame], np.int64),
            np.array([f[2] for f in frame], np.float32),
        )
        ids, boxes = track_arrays(tracker.update(dets))
        gt_ids = np.array([f[0] for f in frame], np.int64)
        gt_boxes = dets.xyxy
        gt_frames.append((gt_ids, gt_boxes))
        pred_frames.append((ids, boxes))
        if len(ids) and len(gt_ids):
            iou = box_iou(gt_boxes, boxes)
            for g, row in zip(gt_ids, iou, strict=True):
                if row.max() >= 0.5:
                    seen.setdefault(int(g), []).append(int(ids[row.argmax()]))
    return seen, evaluate_tracking(gt_frames, pred_frames).idf1


def crossing() -> list[Frame]:
    """A walks right, B (taller, slightly nearer) walks left; they overlap around frame 25."""
    return [
        [(1, person(100 + 6 * t), 0.9, 0), (2, person(400 - 6 * t, y=190, w=44, h=130), 0.85, 0)] for t in range(50)
    ]


def test_crossing_keeps_both_ids_idf1_1() -> None:
    frames = crossing()
    overlaps = [box_iou(np.array([f[0][1]]), np.array([f[1][1]]))[0, 0] for f in frames]
    assert sum(o > 0.3 for o in overlaps) >= 3  # they really occlude each other for a few frames
    seen, idf1 = run(frames)
    assert len(seen[1]) == len(seen[2]) == 50
    assert set(seen[1]) == {1} and set(seen[2]) == {2}
    assert idf1 == 1.0


def test_occlusion_of_10_frames_keeps_id_idf1_1() -> None:
    """A walks right and is hidden on frames 20-29; B stands still elsewhere."""
    frames = [
        ([(1, person(50 + 5 * t), 0.9, 0)] if not 20 <= t < 30 else []) + [(2, person(600, y=100), 0.8, 0)]
        for t in range(60)
    ]
    tracker_states = []
    config = ByteTrackConfig()
    tracker = ByteTracker(config)
    for frame in frames[:25]:
        tracker.update(Detections(np.array([f[1] for f in frame]), np.zeros(len(frame)), [f[2] for f in frame]))
        tracker_states.append({t.track_id: t.state for t in tracker.tracks})
    assert tracker_states[24][1] == TrackState.LOST
    seen, idf1 = run(frames, config)
    assert set(seen[1]) == {1} and len(seen[1]) == 50
    assert set(seen[2]) == {2}
    assert idf1 == 1.0


@pytest.mark.parametrize(
    ("gap", "frame_rate", "same_id"),
    [(25, 30.0, True), (40, 30.0, False), (25, 15.0, False)],
    ids=["gap25-buffer30-same", "gap40-buffer30-new", "gap25-15fps-buffer15-new"],
)
def test_exit_and_reentry_after_track_buffer_gets_new_id(gap: int, frame_rate: float, same_id: bool) -> None:
    """A miner stands at a doorway, steps out of view for ``gap`` frames and comes back."""
    frames = [[(1, person(300), 0.9, 0)]] * 10 + [[]] * gap + [[(1, person(302), 0.9, 0)]] * 10
    seen, _ = run(frames, ByteTrackConfig(track_buffer=30, frame_rate=frame_rate))
    before, after = seen[1][:10], seen[1][10:]
    assert set(before) == {1}
    assert set(after) == ({1} if same_id else {2})


def dusty_turn(low_score: float) -> list[Frame]:
    """Walk right 4 px/frame, turn back inside a dust cloud (12 frames at ``low_score``), walk out left."""
    xs = [100 + 4 * t for t in range(20)] + [176 - 4 * t for t in range(1, 28)]
    return [[(1, person(x), low_score if 20 <= t < 32 else 0.9, 0)] for t, x in enumerate(xs)]


def test_low_score_detections_keep_the_track_through_dust() -> None:
    seen, idf1 = run(dusty_turn(0.3))
    assert set(seen[1]) == {1} and len(seen[1]) == 47  # tracked on the low-score frames too
    assert idf1 == 1.0


@pytest.mark.parametrize("low_score", [0.2, 0.3, 0.4])
def test_without_the_second_stage_the_id_breaks(low_score: float) -> None:
    """low_thresh = track_thresh turns BYTE off: the track is lost in the dust, a new id comes out."""
    seen, idf1 = run(dusty_turn(low_score), ByteTrackConfig(low_thresh=0.5))
    assert seen[1][0] == 1 and seen[1][-1] == 2
    assert len(seen[1]) == 20 + 14  # no output in the dust, one frame to confirm the new track
    assert idf1 == pytest.approx(2 * 20 / (2 * 20 + 14 + 27))  # IDTP 20, IDFP 14, IDFN 47 - 20

    seen_on, _ = run(dusty_turn(low_score))
    assert set(seen_on[1]) == {1}


def test_new_track_confirmed_on_second_match_and_needs_new_track_thresh() -> None:
    tracker = ByteTracker()
    box = np.array([[10.0, 10.0, 50.0, 130.0]])
    assert [t.track_id for t in tracker.update(Detections(box, [0], [0.9]))] == [1]  # frame 1: at once
    far = np.array([[300.0, 10.0, 340.0, 130.0]])
    both = np.concatenate([box, far])
    assert [t.track_id for t in tracker.update(Detections(both, [0, 0], [0.9, 0.9]))] == [1]
    out = tracker.update(Detections(both, [0, 0], [0.9, 0.9]))
    assert [t.track_id for t in out] == [1, 2]
    assert out[1].hits == 2 and out[1].first_seen == 2 and out[1].last_seen == 3 and out[1].age == 2
    weak = np.array([[600.0, 10.0, 640.0, 130.0]])
    for _ in range(3):  # 0.55: high (≥ 0.5) but below new_track_thresh 0.6: never a track
        out = tracker.update(Detections(np.concatenate([both, weak]), [0, 0, 0], [0.9, 0.9, 0.55]))
    assert [t.track_id for t in out] == [1, 2]


def test_one_frame_false_positive_never_comes_out() -> None:
    frames = [[(1, person(100), 0.9, 0)]] * 3 + [[(1, person(100), 0.9, 0), (9, person(500), 0.9, 0)]]
    frames += [[(1, person(100), 0.9, 0)]] * 3
    seen, _ = run(frames)
    assert 9 not in seen and set(seen[1]) == {1}


@pytest.mark.parametrize(("agnostic", "expected_ids"), [(False, {1, 2}), (True, {1})])
def test_per_class_tracking_does_not_join_helmet_and_no_helmet(agnostic: bool, expected_ids: set[int]) -> None:
    tracker = ByteTracker(ByteTrackConfig(class_agnostic=agnostic))
    ids, classes = set(), []
    for t in range(10):
        out = tracker.update(Detections(np.array([person(100 + t)]), [0 if t < 5 else 1], [0.9]))
        ids |= {tr.track_id for tr in out}
        classes += [tr.class_id for tr in out]
    assert ids == expected_ids
    assert classes[-1] == 1


def test_hostile_input_is_skipped_never_raises() -> None:
    tracker = ByteTracker()
    good = person(100)
    hostile = [
        (np.nan, 0, 10, 10),
        (0, 0, np.inf, 10),
        (-np.inf, 0, 10, 10),
        (50, 50, 50, 90),  # zero width
        (50, 50, 90, 50),  # zero height
        (90, 90, 50, 50),  # inverted
        (0, 0, 1e9, 1e9),  # absurdly large
        (300, 300, 340, 420),  # valid box but NaN score below
    ]
    scores = [0.9] * 7 + [np.nan]
    for t in range(12):
        if t in (4, 5):
            out = tracker.update(Detections.empty())
            assert out == []
            continue
        boxes = np.array([good, *hostile], np.float32)
        out = tracker.update(Detections(boxes, np.zeros(len(boxes)), [0.9, *scores]))
        assert [tr.track_id for tr in out] == [1]
        assert np.isfinite(out[0].xyxy).all()
    assert [t.track_id for t in tracker.tracks] == [1]
    with pytest.raises(TypeError, match="Detections"):
        tracker.update(np.zeros((1, 4)))  # type: ignore[arg-type]


def test_empty_stream_and_reset() -> None:
    tracker = ByteTracker()
    for _ in range(3):
        assert tracker.update(Detections.empty()) == []
    tracker.update(Detections(np.array([person(0)]), [0], [0.9]))
    tracker.reset()
    assert tracker.frame_id == 0 and tracker.tracks == []
    assert [t.track_id for t in tracker.update(Detections(np.array([person(0)]), [0], [0.9]))] == [1]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("track_thresh", 1.5),
        ("low_thresh", -0.1),
        ("low_thresh", 0.7),  # above track_thresh
        ("new_track_thresh", 0.4),  # below track_thresh
        ("match_iou", 0.0),
        ("low_match_iou", float("nan")),
        ("unconfirmed_match_iou", 2.0),
        ("track_buffer", -1),
        ("track_buffer", 2.5),
        ("frame_rate", 0.0),
        ("frame_rate", float("inf")),
        ("fuse_score", "yes"),
        ("class_agnostic", 1),
        ("track_thresh", "0.5"),
    ],
)
def test_config_validation_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        ByteTrackConfig(**{field: value})


def test_track_buffer_scales_with_frame_rate() -> None:
    assert ByteTrackConfig(track_buffer=30, frame_rate=30).max_time_lost == 30
    assert ByteTrackConfig(track_buffer=30, frame_rate=15).max_time_lost == 15
    assert ByteTrackConfig(track_buffer=30, frame_rate=60).max_time_lost == 60
