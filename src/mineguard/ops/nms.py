"""Class-wise NMS inside the graph, padded to a fixed number of rows (exports to ONNX).

Anchor-based heads (YOLOv3, seed 000) predict many overlapping boxes per object, so their eval
output is NMS-ed in the model itself; the result keeps the zoo's one output format, (B, K, 6)
rows [x1, y1, x2, y2, score, class] with K = ``max_det``, so that the validator, the eager
predictor and onnxruntime share one post-processing. Suppression is ``torchvision.ops.batched_nms``
(ONNX ``NonMaxSuppression``); the numpy NMS of tiled inference (``runtime/tiles.py``) merges
``Detections`` of several crops after the model, a different place in the pipeline.
"""

from __future__ import annotations

import torch
from torchvision.ops import batched_nms


def _tie_free_order(scores: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """(B, k) scores and their flat indices -> (B, k) float ranks k..1: by score in steps of 2^-16,
    equal steps by the lower index first.

    NMS runs by this order, not by the raw score, so that near-equal scores (an untrained head on a
    flat image region gives scores 1e-8 apart, in a different order in each backend) are taken in
    one order by eager PyTorch and onnxruntime, and both keep the same boxes. A 2^-16 step changes
    no ranking that means anything (the exporter has no stable sort, hence the pairwise count).
    """
    q = torch.floor(scores * 65536.0)
    q_i, q_j = q[:, :, None], q[:, None, :]
    before = (q_j > q_i) | ((q_j == q_i) & (index[:, None, :] < index[:, :, None]))  # (B, k, k): j before i
    return scores.shape[1] - before.sum(-1).to(scores.dtype)


def nms_padded(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    *,
    iou: float = 0.45,
    max_det: int = 300,
    pre_nms: int = 1000,
) -> torch.Tensor:
    """Best (box, class) pairs of each image after class-wise NMS, zero rows after the last one.

    Multi-label: a box may be kept once per class. Per image, the ``pre_nms`` highest (box, class)
    scores are candidates; a candidate overlapping a better one of its class by IoU > ``iou`` goes.

    boxes: (B, N, 4) xyxy pixels; scores: (B, N, C) in [0, 1].
    Returns (B, max_det, 6) [x1, y1, x2, y2, score, class], by score, unused rows all zero.
    """
    b, n, c = scores.shape
    k = min(pre_nms, n * c)
    top, flat = scores.flatten(1).topk(k, dim=1)  # (B, k)
    labels = flat % c
    cand = boxes.gather(1, (flat // c)[..., None].expand(-1, -1, 4))  # (B, k, 4)
    image = torch.arange(b, device=boxes.device)[:, None].expand(-1, k)
    keep = batched_nms(
        cand.reshape(-1, 4), _tie_free_order(top, flat).reshape(-1), (image * c + labels).reshape(-1), iou
    )
    kept_image = image.reshape(-1)[keep]  # kept in decreasing score, all images mixed
    rank = (torch.nn.functional.one_hot(kept_image, b).cumsum(0) - 1).gather(1, kept_image[:, None])[:, 0]
    rows = torch.cat(
        (
            cand.reshape(-1, 4)[keep],
            top.reshape(-1)[keep, None],
            labels.reshape(-1)[keep, None].to(boxes.dtype),
        ),
        1,
    )
    inside = rank < max_det
    slot = kept_image[inside] * max_det + rank[inside]
    out = torch.zeros(b * max_det, 6, device=boxes.device, dtype=boxes.dtype)
    out = out.index_put((slot,), rows[inside])
    return out.view(b, max_det, 6)
