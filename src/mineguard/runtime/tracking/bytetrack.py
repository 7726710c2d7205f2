"""ByteTrack: multi-object tracking by associating every detection box.

Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV 2022
(arXiv:2110.06864), Algorithm 1. Each frame:

1. Kalman-predict every live track (a lost track's height velocity is zeroed, as in the authors' code).
2. First association: *high* detections (score ≥ ``track_thresh``) ↔ tracked and lost tracks, by
   IoU (times the detection score when ``fuse_score``), Hungarian assignment
   (``scipy.optimize.linear_sum_assignment``), pairs below ``match_iou`` rejected. A matched lost
   track is re-found with its old id.
3. Second association (the BYTE step): *low* detections (``low_thresh`` ≤ score < ``track_thresh``)
   ↔ tracked tracks still unmatched, by plain IoU ≥ ``low_match_iou``. Low boxes are occluded or
   blurred objects: they keep a track alive but never start one. Tracked tracks still unmatched
   become lost.
4. New tracks from the previous frame (unconfirmed) ↔ the high detections left, IoU ≥
   ``unconfirmed_match_iou``; matched → confirmed, unmatched → removed.
5. High detections still unmatched and scoring ≥ ``new_track_thresh`` start new tracks, confirmed
   at once only on the first frame of the stream.
6. Lost tracks not seen for more than ``max_time_lost`` frames are removed; a tracked and a lost
   track overlapping at IoU > 0.85 (of the same class unless class-agnostic) are duplicates and the
   younger one is dropped.

With ``class_agnostic=False`` (the default) a track only takes boxes of its own class, so a
``helmet`` box never continues a ``no_helmet`` track.

Hostile input is skipped, never raised on: rows whose box or score is NaN or infinite, boxes beyond
±1e6 px, zero-area or inverted boxes (x2 ≤ x1 or y2 ≤ y1) are dropped before association; an empty
frame just ages the tracks. Unlike the authors' code, ids count per tracker instance from 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from mineguard.data.records import Detections
from mineguard.runtime.tracking.kalman import KalmanBoxFilter, xyah_to_xyxy, xyxy_to_xyah
from mineguard.runtime.tracking.records import ByteTrackConfig, Track, TrackState

MAX_COORD = 1e6
DUPLICATE_IOU = 0.85
_INVALID = 1e6


@dataclass
class _Tracklet:
    """Mutable per-track state kept inside the tracker; callers see frozen ``Track`` snapshots."""

    track_id: int
    class_id: int
    score: float
    mean: np.ndarray  # (8,)
    covariance: np.ndarray  # (8, 8)
    state: TrackState
    confirmed: bool
    hits: int
    first_seen: int
    last_seen: int

    def xyxy(self) -> np.ndarray:
        return xyah_to_xyxy(self.mean[None])[0]


class ByteTracker:
    """Stateful ByteTrack over one video stream: call :meth:`update` once per frame, in order.

    Example::

        tracker = ByteTracker(ByteTrackConfig(frame_rate=25))
        for dets in detections_per_frame:
            for track in tracker.update(dets):
                print(track.track_id, track.xyxy)
    """

    def __init__(self, config: ByteTrackConfig | None = None) -> None:
        self.config = config or ByteTrackConfig()
        self.kalman = KalmanBoxFilter()
        self.reset()

    def reset(self) -> None:
        """Forget every track and restart frame and id counters (a new stream)."""
        self.frame_id = 0
        self._next_id = 1
        self._tracks: list[_Tracklet] = []

    @property
    def tracks(self) -> list[Track]:
        """Every live track (new, tracked and lost) as of the last frame."""
        return [self._snapshot(t) for t in self._tracks]

    def update(self, detections: Detections) -> list[Track]:
        """Advance one frame.

        Args:
            detections: this frame's boxes (``xyxy`` pixels, ``class_id``, ``confidence``); may be
                empty; invalid rows (see module docstring) are skipped.

        Returns:
            The confirmed tracks matched in this frame (state ``tracked``), ordered by id.
        """
        if not isinstance(detections, Detections):
            raise TypeError(f"ByteTracker.update expects Detections, got {type(detections).__name__}")
        cfg = self.config
        self.frame_id += 1
        boxes, scores, classes = _clean(detections)
        high = np.flatnonzero(scores >= cfg.track_thresh)
        low = np.flatnonzero((scores >= cfg.low_thresh) & (scores < cfg.track_thresh))

        self._predict()
        unconfirmed = [t for t in self._tracks if t.state == TrackState.NEW]
        pool = [t for t in self._tracks if t.state in (TrackState.TRACKED, TrackState.LOST)]

        # 1. high detections ↔ tracked + lost
        matches, left_tracks, left_high = self._associate(
            pool, boxes, scores, classes, high, cfg.match_iou, cfg.fuse_score
        )
        for ti, di in matches:
            self._apply(pool[ti], boxes[di], scores[di], classes[di])

        # 2. low detections ↔ tracked tracks still unmatched (BYTE)
        remaining = [pool[i] for i in left_tracks if pool[i].state == TrackState.TRACKED]
        matches, left_remaining, _ = self._associate(remaining, boxes, scores, classes, low, cfg.low_match_iou, False)
        for ti, di in matches:
            self._apply(remaining[ti], boxes[di], scores[di], classes[di])
        for i in left_remaining:
            remaining[i].state = TrackState.LOST

        # 3. unconfirmed tracks ↔ high detections left
        rest = high[left_high]
        matches, left_unconfirmed, left_rest = self._associate(
            unconfirmed, boxes, scores, classes, rest, cfg.unconfirmed_match_iou, cfg.fuse_score
        )
        for ti, di in matches:
            self._apply(unconfirmed[ti], boxes[di], scores[di], classes[di])
        for i in left_unconfirmed:
            unconfirmed[i].state = TrackState.REMOVED

        # 4. new tracks
        for di in rest[left_rest]:
            if scores[di] >= cfg.new_track_thresh:
                self._start(boxes[di], scores[di], classes[di])

        # 5. expire lost tracks, drop duplicates
        for t in self._tracks:
            if t.state == TrackState.LOST and self.frame_id - t.last_seen > cfg.max_time_lost:
                t.state = TrackState.REMOVED
        self._remove_duplicates()
        self._tracks = [t for t in self._tracks if t.state != TrackState.REMOVED]
        live = [t for t in self._tracks if t.state == TrackState.TRACKED and t.confirmed]
        return [self._snapshot(t) for t in sorted(live, key=lambda t: t.track_id)]

    # ---- steps -------------------------------------------------------------------------------

    def _predict(self) -> None:
        if not self._tracks:
            return
        means = np.stack([t.mean for t in self._tracks])
        for i, t in enumerate(self._tracks):
            if t.state != TrackState.TRACKED:
                means[i, 7] = 0.0
        covs = np.stack([t.covariance for t in self._tracks])
        means, covs = self.kalman.predict(means, covs)
        for t, m, c in zip(self._tracks, means, covs, strict=True):
            t.mean, t.covariance = m, c

    def _associate(
        self,
        tracks: list[_Tracklet],
        boxes: np.ndarray,
        scores: np.ndarray,
        classes: np.ndarray,
        candidates: np.ndarray,
        min_similarity: float,
        fuse_score: bool,
    ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
        """Hungarian match of ``tracks`` to detections ``candidates`` (indices into the frame arrays).

        Returns:
            ``(track index, detection index)`` pairs, then the unmatched positions in ``tracks``
            and in ``candidates``.
        """
        n_t, n_d = len(tracks), len(candidates)
        if n_t == 0 or n_d == 0:
            return [], np.arange(n_t), np.arange(n_d)
        sim = box_iou(np.stack([t.xyxy() for t in tracks]), boxes[candidates])
        if fuse_score:
            sim = sim * scores[candidates][None, :]
        if not self.config.class_agnostic:
            same = np.array([t.class_id for t in tracks])[:, None] == classes[candidates][None, :]
            sim = np.where(same, sim, 0.0)
        valid = (sim >= min_similarity) & (sim > 0)
        cost = np.where(valid, 1.0 - sim, _INVALID)
        rows, cols = linear_sum_assignment(cost)
        keep = valid[rows, cols]
        matches = [(int(r), int(candidates[c])) for r, c in zip(rows[keep], cols[keep], strict=True)]
        left_t = np.setdiff1d(np.arange(n_t), rows[keep])
        left_d = np.setdiff1d(np.arange(n_d), cols[keep])
        return matches, left_t, left_d

    def _apply(self, track: _Tracklet, box: np.ndarray, score: float, class_id: int) -> None:
        """Kalman-update ``track`` with a matched box; a new track becomes confirmed, a lost one tracked."""
        mean, cov = self.kalman.update(track.mean[None], track.covariance[None], xyxy_to_xyah(box[None]))
        track.mean, track.covariance = mean[0], cov[0]
        track.score, track.last_seen = float(score), self.frame_id
        track.hits += 1
        track.class_id = int(class_id)
        track.state, track.confirmed = TrackState.TRACKED, True

    def _start(self, box: np.ndarray, score: float, class_id: int) -> None:
        mean, cov = self.kalman.initiate(xyxy_to_xyah(box[None]))
        first = self.frame_id == 1
        self._tracks.append(
            _Tracklet(
                track_id=self._next_id,
                class_id=int(class_id),
                score=float(score),
                mean=mean[0],
                covariance=cov[0],
                state=TrackState.TRACKED if first else TrackState.NEW,
                confirmed=first,
                hits=1,
                first_seen=self.frame_id,
                last_seen=self.frame_id,
            )
        )
        self._next_id += 1

    def _remove_duplicates(self) -> None:
        """A tracked and a lost track (of one class unless class-agnostic) at IoU > 0.85: drop the younger."""
        tracked = [t for t in self._tracks if t.state in (TrackState.TRACKED, TrackState.NEW)]
        lost = [t for t in self._tracks if t.state == TrackState.LOST]
        if not tracked or not lost:
            return
        iou = box_iou(np.stack([t.xyxy() for t in tracked]), np.stack([t.xyxy() for t in lost]))
        for i, j in zip(*np.nonzero(iou > DUPLICATE_IOU), strict=True):
            a, b = tracked[i], lost[j]
            if not self.config.class_agnostic and a.class_id != b.class_id:
                continue
            younger = a if a.first_seen > b.first_seen else b
            younger.state = TrackState.REMOVED

    def _snapshot(self, t: _Tracklet) -> Track:
        xyxy = t.xyxy().astype(np.float32)
        xyxy.setflags(write=False)
        return Track(
            track_id=t.track_id,
            xyxy=xyxy,
            class_id=t.class_id,
            score=t.score,
            state=t.state,
            confirmed=t.confirmed,
            hits=t.hits,
            age=self.frame_id - t.first_seen + 1,
            first_seen=t.first_seen,
            last_seen=t.last_seen,
        )


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) × (M, 4) xyxy → (N, M) IoU; 0 where boxes do not overlap or have no area.

    The same formula as ``evaluation.matching.box_iou``, kept here so that the runtime does not
    depend on the evaluation package.
    """
    inter_w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    inter_h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(inter_w, 0, None) * np.clip(inter_h, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(inter > 0, inter / np.where(inter > 0, union, 1.0), 0.0)
    return np.nan_to_num(iou, nan=0.0, posinf=0.0, neginf=0.0)


def _clean(detections: Detections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 boxes, scores and classes of the rows that can be tracked (finite, in range, positive area)."""
    boxes = detections.xyxy.astype(np.float64)
    scores = detections.confidence.astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(boxes).all(axis=1) & np.isfinite(scores)
        ok &= (np.abs(np.nan_to_num(boxes)) <= MAX_COORD).all(axis=1)
        ok &= (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[ok], scores[ok], detections.class_id[ok]
