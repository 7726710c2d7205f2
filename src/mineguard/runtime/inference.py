"""What inference needs besides the model: the device to run on and the post-processing of its output.

The training engine's validator uses the same two, so training and the runtime score one thing.
"""

from __future__ import annotations

import numpy as np
import torch

from mineguard.data.records import Detections
from mineguard.data.transforms import scale_boxes_to_original


def resolve_device(name: str) -> torch.device:
    """``"auto"`` is CUDA when available, else CPU; any other name is passed to ``torch.device``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def outputs_to_detections(
    output: torch.Tensor, ratio: float, pad: tuple[float, float], orig_shape: tuple[int, int], conf: float
) -> Detections:
    """One image's (K, 6) [x1, y1, x2, y2, score, class] letterboxed output -> ``Detections``."""
    out = output[output[:, 4] >= conf].detach().float().cpu().numpy()
    boxes = scale_boxes_to_original(out[:, :4], ratio, pad, orig_shape)
    return Detections(np.asarray(boxes, np.float32), out[:, 5].astype(np.int64), out[:, 4])
