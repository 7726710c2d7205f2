"""What inference needs besides the model: the device, the input tensor and the post-processing.

The training engine's validator uses the same post-processing, and both runtime backends (eager
PyTorch and onnxruntime) share :func:`preprocess` and :func:`outputs_to_detections`, so training,
the eager predictor and the exported model score one thing. Post-processing is numpy: a torch
output is moved to numpy first, an onnxruntime output never touches torch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mineguard.data.records import Detections
from mineguard.data.transforms import letterbox, scale_boxes_to_original


@dataclass(frozen=True)
class PredictTimes:
    """Milliseconds of one ``predict``: letterbox, the model, post-processing."""

    preprocess_ms: float
    inference_ms: float
    postprocess_ms: float

    @classmethod
    def between(cls, start: float, prepared: float, ran: float, done: float) -> PredictTimes:
        return cls(1000.0 * (prepared - start), 1000.0 * (ran - prepared), 1000.0 * (done - ran))


def predict_timed(
    image: np.ndarray, img_size: int | tuple[int, int], run: Callable[[np.ndarray], np.ndarray], conf: float
) -> tuple[Detections, PredictTimes]:
    """One image through letterbox, ``run`` (the backend's raw graph) and post-processing, timed."""
    start = time.perf_counter()
    x, ratio, pad = preprocess(image, img_size)
    prepared = time.perf_counter()
    out = run(x)[0]
    ran = time.perf_counter()
    detections = outputs_to_detections(out, ratio, pad, image.shape[:2], conf)
    return detections, PredictTimes.between(start, prepared, ran, time.perf_counter())


def resolve_device(name: str) -> torch.device:
    """``"auto"`` is CUDA when available, else CPU; any other name is passed to ``torch.device``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def preprocess(image: np.ndarray, img_size: int | tuple[int, int]) -> tuple[np.ndarray, float, tuple[int, int]]:
    """RGB uint8 (H, W, 3) -> letterboxed (1, 3, S, S) (or (1, 3, h, w)) float32 in [0, 1], ratio, pad."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}")
    boxed, ratio, pad = letterbox(image, img_size)
    x = np.ascontiguousarray(boxed.transpose(2, 0, 1)[None], dtype=np.float32)
    x *= np.float32(1 / 255)
    return x, ratio, pad


def outputs_to_detections(
    output: np.ndarray | torch.Tensor,
    ratio: float,
    pad: tuple[float, float],
    orig_shape: tuple[int, int],
    conf: float,
) -> Detections:
    """One image's (K, 6) [x1, y1, x2, y2, score, class] letterboxed output -> ``Detections``.

    Rows with score 0 are padding (an NMS-ed head returns a fixed K rows), never a detection."""
    if isinstance(output, torch.Tensor):
        output = output.detach().float().cpu().numpy()
    out = np.asarray(output, np.float32)
    out = out[(out[:, 4] >= conf) & (out[:, 4] > 0)]  # score 0: a padding row (NMS-ed heads)
    boxes = scale_boxes_to_original(out[:, :4], ratio, pad, orig_shape)
    return Detections(np.asarray(boxes, np.float32), out[:, 5].astype(np.int64), out[:, 4])
