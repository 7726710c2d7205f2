"""Typed results that cross module boundaries.

``Detections`` is the one record every detector returns and every evaluator, plot and
(later) runtime rule consumes, in the manner of ``supervision.Detections``: parallel arrays
with boolean-mask filtering.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Detections:
    """Boxes found in (or labelled on) one image.

    Attributes:
        xyxy: (N, 4) float32 box corners in pixels of the original image.
        class_id: (N,) int64 class index.
        confidence: (N,) float32 score in [0, 1]; ground truth carries 1.0.
    """

    xyxy: np.ndarray
    class_id: np.ndarray
    confidence: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        class_id = np.asarray(self.class_id, dtype=np.int64).reshape(-1)
        conf = self.confidence
        conf = np.ones(len(xyxy), np.float32) if conf is None else np.asarray(conf, np.float32).reshape(-1)
        if not (len(xyxy) == len(class_id) == len(conf)):
            raise ValueError(
                f"Detections arrays disagree in length: xyxy {len(xyxy)}, "
                f"class_id {len(class_id)}, confidence {len(conf)}"
            )
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "class_id", class_id)
        object.__setattr__(self, "confidence", conf)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray | slice | int) -> Detections:
        """Filter by boolean mask, index array or slice: ``dets[dets.confidence > 0.5]``."""
        if isinstance(index, int):
            index = slice(index, index + 1)
        return Detections(self.xyxy[index], self.class_id[index], self.confidence[index])

    @property
    def area(self) -> np.ndarray:
        """(N,) box areas in pixels²."""
        wh = (self.xyxy[:, 2:] - self.xyxy[:, :2]).clip(0)
        return wh[:, 0] * wh[:, 1]
