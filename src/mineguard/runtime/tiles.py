"""Sliced inference for wide CCTV pictures: the detector sees overlapping tiles as well as the whole frame.

A helmet 25 px wide in a 1920x1080 picture is 4 px at a 320 px model input: no detector trained on
close-ups finds it. :class:`TiledDetector` cuts the frame into a grid of overlapping tiles, runs
the detector on each (one batch when the detector has ``predict_batch``) and on the whole frame,
moves the tile boxes back into frame pixels and merges duplicates with class-wise NMS (a box cut by
a tile edge loses to the whole box found in the neighbouring tile or the whole frame). The cost is
``cols * rows (+ 1)`` inferences a frame, so a camera turns it on in its view (``tiles``) where
people are small, and leaves it off where they are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mineguard.data.records import Detections
from mineguard.evaluation.matching import box_iou


@dataclass(frozen=True)
class TileGrid:
    cols: int
    rows: int
    overlap: float = 0.2  # share of a tile's width (height) it shares with its neighbour
    whole_frame: bool = True  # also run on the whole frame (large objects stay whole)
    nms_iou: float = 0.5

    def __post_init__(self) -> None:
        if not (1 <= self.cols <= 8 and 1 <= self.rows <= 8):
            raise ValueError(f"tiles: cols and rows must be 1..8, got {self.cols}x{self.rows}")
        if not 0 <= self.overlap < 0.9:
            raise ValueError(f"tiles: overlap must be in [0, 0.9), got {self.overlap}")
        if not 0 < self.nms_iou <= 1:
            raise ValueError(f"tiles: nms_iou must be in (0, 1], got {self.nms_iou}")

    def windows(self, width: int, height: int) -> list[tuple[int, int, int, int]]:
        """(x0, y0, x1, y1) of every tile of a ``width`` x ``height`` frame, left to right, top to bottom."""
        xs = _spans(width, self.cols, self.overlap)
        ys = _spans(height, self.rows, self.overlap)
        return [(x0, y0, x1, y1) for y0, y1 in ys for x0, x1 in xs]


def _spans(length: int, parts: int, overlap: float) -> list[tuple[int, int]]:
    """``parts`` windows of equal size covering ``[0, length)``, neighbours sharing ``overlap`` of a window."""
    if parts == 1:
        return [(0, length)]
    size = length / (parts - (parts - 1) * overlap)
    step = size * (1 - overlap)
    spans = []
    for i in range(parts):
        start = round(i * step)
        end = length if i == parts - 1 else min(length, round(i * step + size))
        spans.append((start, end))
    return spans


def nms_per_class(dets: Detections, iou: float) -> Detections:
    """Greedy NMS within each class: of boxes overlapping more than ``iou``, the best score stays."""
    if len(dets) < 2:
        return dets
    order = np.argsort(-dets.confidence, kind="stable")
    ious = box_iou(dets.xyxy, dets.xyxy)
    same = dets.class_id[:, None] == dets.class_id[None, :]
    keep: list[int] = []
    dropped = np.zeros(len(dets), bool)
    for i in order:
        if dropped[i]:
            continue
        keep.append(int(i))
        dropped |= same[i] & (ious[i] > iou)
    return dets[np.array(sorted(keep), dtype=np.int64)]


class TiledDetector:
    """Wraps a detector (anything with ``names`` and ``predict(image) -> Detections``)."""

    def __init__(self, detector, grid: TileGrid) -> None:
        self.detector = detector
        self.grid = grid
        self.names = list(detector.names)

    def predict(self, image: np.ndarray) -> Detections:
        height, width = image.shape[:2]
        windows = self.grid.windows(width, height)
        crops = [np.ascontiguousarray(image[y0:y1, x0:x1]) for x0, y0, x1, y1 in windows]
        if self.grid.whole_frame:
            crops.append(image)
            windows.append((0, 0, width, height))
        batch = getattr(self.detector, "predict_batch", None)
        found = batch(crops) if batch is not None else [self.detector.predict(c) for c in crops]
        parts = []
        for (x0, y0, _, _), dets in zip(windows, found, strict=True):
            if len(dets):
                shift = np.array([x0, y0, x0, y0], np.float32)
                parts.append(Detections(dets.xyxy + shift, dets.class_id, dets.confidence))
        if not parts:
            return Detections.empty()
        merged = Detections(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            np.concatenate([p.confidence for p in parts]),
        )
        return nms_per_class(merged, self.grid.nms_iou)
