"""Box matching shared by the detection metrics.

Two matchers live here:

* :func:`match_coco` — the greedy per-image, per-class matching of ``pycocotools``
  ``COCOeval.evaluateImg`` (bbox, area range 'all', no crowd), at many IoU thresholds at once.
* :func:`match_one_to_one` — class-agnostic one-to-one matching by IoU descending, used for the
  confusion matrix in the manner of ultralytics' ``ConfusionMatrix.process_batch``.
"""

from __future__ import annotations

import numpy as np

# pycocotools caps the matching threshold just below 1 so that IoU == 1 still matches at t == 1.
_COCO_MAX_IOU_THRESHOLD = 1 - 1e-10


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``boxes_a`` with every box in ``boxes_b``.

    Continuous coordinates, no ``+1`` on widths, computed in float64 in the same order of
    operations as ``pycocotools`` ``bbIou`` so that thresholds compare bit-for-bit alike.

    Args:
        boxes_a: (N, 4) xyxy pixels.
        boxes_b: (M, 4) xyxy pixels.

    Returns:
        (N, M) float64 IoU in [0, 1]; 0 where boxes do not overlap.
    """
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    inter_w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    inter_h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    overlap = (inter_w > 0) & (inter_h > 0)
    inter = np.where(overlap, inter_w * inter_h, 0.0)
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(overlap, inter / np.where(overlap, union, 1.0), 0.0)
    return iou


def match_coco(iou: np.ndarray, iou_thresholds: np.ndarray) -> np.ndarray:
    """Greedy COCO matching of score-sorted detections to ground truth of one image and class.

    For each detection in order and each threshold ``t``, the detection takes the still-unmatched
    ground truth of highest IoU with ``IoU >= min(t, 1 - 1e-10)``; among equal IoUs the *last*
    ground truth wins, exactly as the ``if iou < best: continue`` loop of ``evaluateImg`` does.

    Args:
        iou: (D, G) IoU of detections (already sorted by descending score) with ground truth.
        iou_thresholds: (T,) IoU thresholds.

    Returns:
        (T, D) bool, True where the detection is a true positive at that threshold.
    """
    thresholds = np.minimum(np.asarray(iou_thresholds, dtype=np.float64), _COCO_MAX_IOU_THRESHOLD)
    num_dets, num_gts = iou.shape
    matched_det = np.zeros((len(thresholds), num_dets), dtype=bool)
    if num_dets == 0 or num_gts == 0:
        return matched_det
    gt_taken = np.zeros((len(thresholds), num_gts), dtype=bool)
    rows = np.arange(len(thresholds))
    for d in range(num_dets):
        candidate = ~gt_taken & (iou[d][None, :] >= thresholds[:, None])
        masked = np.where(candidate, iou[d][None, :], -np.inf)
        last_best = num_gts - 1 - np.argmax(masked[:, ::-1], axis=1)
        hit = candidate.any(axis=1)
        matched_det[hit, d] = True
        gt_taken[rows[hit], last_best[hit]] = True
    return matched_det


def match_one_to_one(iou: np.ndarray, iou_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Class-agnostic one-to-one matching by IoU descending.

    Args:
        iou: (D, G) IoU of detections with ground truth.
        iou_threshold: pairs need ``IoU >= iou_threshold``.

    Returns:
        ``(det_index, gt_index)``: two (K,) int64 arrays of matched pairs.
    """
    det_idx, gt_idx = np.nonzero(iou >= iou_threshold)
    order = np.argsort(-iou[det_idx, gt_idx], kind="stable")
    det_used: set[int] = set()
    gt_used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for d, g in zip(det_idx[order].tolist(), gt_idx[order].tolist(), strict=True):
        if d in det_used or g in gt_used:
            continue
        det_used.add(d)
        gt_used.add(g)
        pairs.append((d, g))
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    det_out, gt_out = np.asarray(pairs, dtype=np.int64).T
    return det_out, gt_out


def confusion_counts(
    pred_xyxy: np.ndarray,
    pred_class: np.ndarray,
    gt_xyxy: np.ndarray,
    gt_class: np.ndarray,
    num_classes: int,
    iou_threshold: float,
) -> np.ndarray:
    """Confusion-matrix counts of one image, background as the last row and column.

    Detections are matched to ground truth one-to-one regardless of class (IoU descending, see
    :func:`match_one_to_one`); a matched pair counts at ``[pred_class, gt_class]``, an unmatched
    ground truth at ``[background, gt_class]`` (missed), an unmatched detection at
    ``[pred_class, background]`` (false alarm). Filter detections by confidence beforehand.

    Args:
        pred_xyxy: (D, 4) detection boxes, xyxy pixels.
        pred_class: (D,) int64 detection classes in ``[0, num_classes)``.
        gt_xyxy: (G, 4) ground-truth boxes, xyxy pixels.
        gt_class: (G,) int64 ground-truth classes in ``[0, num_classes)``.
        num_classes: number of object classes ``nc``.
        iou_threshold: pairs need ``IoU >= iou_threshold``.

    Returns:
        (nc + 1, nc + 1) int64 counts; rows = predicted class, columns = true class.
    """
    background = num_classes
    counts = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    det_idx, gt_idx = match_one_to_one(box_iou(pred_xyxy, gt_xyxy), iou_threshold)
    np.add.at(counts, (pred_class[det_idx], gt_class[gt_idx]), 1)
    missed = np.ones(len(gt_class), dtype=bool)
    missed[gt_idx] = False
    np.add.at(counts, (background, gt_class[missed]), 1)
    false_alarm = np.ones(len(pred_class), dtype=bool)
    false_alarm[det_idx] = False
    np.add.at(counts, (pred_class[false_alarm], background), 1)
    return counts
