"""Sliced inference: tile windows, class-wise NMS and boxes moved back into frame pixels."""

from __future__ import annotations

import numpy as np
import pytest

from mineguard.data.records import Detections
from mineguard.runtime.tiles import TiledDetector, TileGrid, nms_per_class


class BrightSpotDetector:
    """Finds the bright square in whatever it is given — only when it fills ≥ 0.2 % of the input,
    like a detector that misses objects too small at its input size."""

    names = ("helmet", "nohelmet")

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def predict(self, image: np.ndarray) -> Detections:
        self.calls.append(image.shape[:2])
        ys, xs = np.nonzero(image[..., 0] > 200)
        if len(xs) == 0 or len(xs) < 0.002 * image.shape[0] * image.shape[1]:
            return Detections.empty()
        box = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        return Detections(np.array([box], np.float32), np.array([0]), np.array([0.9], np.float32))


def test_windows_cover_the_frame_with_the_asked_overlap() -> None:
    windows = TileGrid(3, 2, overlap=0.2).windows(960, 540)
    assert len(windows) == 6
    assert windows[0][:2] == (0, 0) and windows[-1][2:] == (960, 540)
    xs = sorted({(w[0], w[2]) for w in windows})
    assert xs == [(0, 369), (295, 665), (591, 960)]  # 369 px wide, neighbours share 74 px = 20 %
    assert TileGrid(1, 1).windows(640, 480) == [(0, 0, 640, 480)]


def test_nms_keeps_the_best_box_of_each_class() -> None:
    dets = Detections(
        np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [50, 50, 60, 60]], np.float32),
        np.array([0, 0, 1, 0]),
        np.array([0.5, 0.8, 0.4, 0.3], np.float32),
    )
    kept = nms_per_class(dets, 0.5)
    assert kept.confidence.tolist() == pytest.approx([0.8, 0.4, 0.3])  # the 0.5 box lost to its 0.8 twin
    assert kept.class_id.tolist() == [0, 1, 0]


def test_a_small_object_is_found_in_a_tile_and_placed_in_frame_pixels() -> None:
    frame = np.zeros((540, 960, 3), np.uint8)
    frame[400:420, 800:820] = 255  # 400 px² = 0.08 % of the frame: the whole-frame pass misses it
    detector = BrightSpotDetector()
    assert len(detector.predict(frame)) == 0
    detector.calls.clear()
    found = TiledDetector(detector, TileGrid(3, 2, overlap=0.2)).predict(frame)
    assert found.xyxy.tolist() == [[800, 400, 820, 420]]  # once, though two tiles hold it
    assert len(detector.calls) == 7 and (540, 960) in detector.calls  # six tiles and the whole frame


def test_bad_grids_are_refused() -> None:
    with pytest.raises(ValueError, match="cols and rows"):
        TileGrid(0, 2)
    with pytest.raises(ValueError, match="overlap"):
        TileGrid(2, 2, overlap=0.95)
