"""Multi-object tracking metrics: identity (IDF1) and CLEAR MOT (MOTA, ID switches).

Input: one ``(ids, xyxy)`` pair per frame for the ground truth and one for the tracker, ``ids``
(N,) integers unique within the frame and ``xyxy`` (N, 4) pixels; frame ``k`` of both sequences is
the same image. A ground-truth and a predicted box *correspond* when their IoU ≥ ``iou_threshold``
(0.5 by default).

**IDF1** (Ristani et al., "Performance Measures and a Data Set for Multi-Target, Multi-Camera
Tracking", ECCV 2016 workshops): every ground-truth identity is paired with at most one predicted
identity over the *whole* sequence, the pairing that maximises the number of corresponding
detections (a global min-cost assignment, ``scipy.optimize.linear_sum_assignment``)::

    IDTP = Σ corresponding frames of the paired identities
    IDFN = #ground-truth boxes − IDTP,      IDFP = #predicted boxes − IDTP
    IDF1 = 2·IDTP / (2·IDTP + IDFP + IDFN), IDP = IDTP / (IDTP + IDFP), IDR = IDTP / (IDTP + IDFN)

**MOTA** (Bernardin & Stiefelhagen, "Evaluating Multiple Object Tracking Performance: The CLEAR MOT
Metrics", 2008), matched frame by frame as in TrackEval: a pair matched in an earlier frame that
still corresponds is kept (it outweighs any IoU gain), the rest is a maximum-IoU assignment. A
ground-truth identity matched to a predicted id other than the one it was last matched to is an
*ID switch*::

    MOTA = 1 − (FN + FP + IDSW) / #ground-truth boxes

Undefined ratios (no ground truth for MOTA and IDR, nothing at all for IDF1) are NaN. Boxes with
NaN coordinates never correspond to anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from mineguard.evaluation.matching import box_iou

FrameBoxes = tuple[np.ndarray, np.ndarray]
"""``(ids (N,), xyxy (N, 4))`` of one frame."""

_CONTINUITY_BONUS = 1000.0


@dataclass(frozen=True)
class TrackingMetrics:
    """Identity and CLEAR MOT scores of one sequence (or of several, when the counts are summed)."""

    idf1: float
    idp: float
    idr: float
    idtp: int
    idfp: int
    idfn: int
    mota: float
    matches: int
    false_positives: int
    misses: int
    id_switches: int
    num_gt: int
    num_pred: int


def evaluate_tracking(
    ground_truth: Sequence[FrameBoxes], predictions: Sequence[FrameBoxes], *, iou_threshold: float = 0.5
) -> TrackingMetrics:
    """IDF1, MOTA and ID switches of ``predictions`` against ``ground_truth``.

    Args:
        ground_truth: per frame ``(ids, xyxy)``.
        predictions: per frame ``(ids, xyxy)``; as many frames as ``ground_truth``.
        iou_threshold: minimum IoU for a ground-truth and a predicted box to correspond, in (0, 1].

    Returns:
        :class:`TrackingMetrics`.

    Raises:
        ValueError: frame counts differ, an id repeats within a frame, or arrays disagree in length.
    """
    if len(ground_truth) != len(predictions):
        raise ValueError(f"ground_truth has {len(ground_truth)} frames, predictions {len(predictions)}")
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    gt = [_frame(f, "ground_truth", k) for k, f in enumerate(ground_truth)]
    pr = [_frame(f, "predictions", k) for k, f in enumerate(predictions)]

    gt_ids = np.unique(np.concatenate([ids for ids, _ in gt])) if gt else np.zeros(0, np.int64)
    pr_ids = np.unique(np.concatenate([ids for ids, _ in pr])) if pr else np.zeros(0, np.int64)
    overlap = np.zeros((len(gt_ids), len(pr_ids)), np.int64)  # frames where gt i ~ pred j
    num_gt = sum(len(ids) for ids, _ in gt)
    num_pred = sum(len(ids) for ids, _ in pr)

    matches = id_switches = 0
    last_match: dict[int, int] = {}  # gt id -> pred id it was last matched to
    previous: set[tuple[int, int]] = set()
    for (g_ids, g_box), (p_ids, p_box) in zip(gt, pr, strict=True):
        if len(g_ids) == 0 or len(p_ids) == 0:
            previous = set()
            continue
        iou = box_iou(g_box, p_box)
        corresponds = iou >= iou_threshold
        gi, pj = np.nonzero(corresponds)
        np.add.at(overlap, (np.searchsorted(gt_ids, g_ids[gi]), np.searchsorted(pr_ids, p_ids[pj])), 1)

        kept = np.array([[(int(g), int(p)) in previous for p in p_ids] for g in g_ids])
        score = np.where(corresponds, iou + _CONTINUITY_BONUS * kept, 0.0)
        rows, cols = linear_sum_assignment(score, maximize=True)
        ok = corresponds[rows, cols]
        current = set()
        for r, c in zip(rows[ok], cols[ok], strict=True):
            g, p = int(g_ids[r]), int(p_ids[c])
            if g in last_match and last_match[g] != p:
                id_switches += 1
            last_match[g] = p
            current.add((g, p))
        matches += len(current)
        previous = current

    idtp = 0
    if overlap.size:
        rows, cols = linear_sum_assignment(overlap, maximize=True)
        idtp = int(overlap[rows, cols].sum())
    idfn, idfp = num_gt - idtp, num_pred - idtp
    misses, false_positives = num_gt - matches, num_pred - matches
    return TrackingMetrics(
        idf1=_ratio(2 * idtp, 2 * idtp + idfp + idfn),
        idp=_ratio(idtp, idtp + idfp),
        idr=_ratio(idtp, idtp + idfn),
        idtp=idtp,
        idfp=idfp,
        idfn=idfn,
        mota=1.0 - (misses + false_positives + id_switches) / num_gt if num_gt else float("nan"),
        matches=matches,
        false_positives=false_positives,
        misses=misses,
        id_switches=id_switches,
        num_gt=num_gt,
        num_pred=num_pred,
    )


def _frame(frame: FrameBoxes, name: str, k: int) -> FrameBoxes:
    ids_in, boxes_in = frame
    ids = np.asarray(ids_in, dtype=np.int64).reshape(-1)
    boxes = np.asarray(boxes_in, dtype=np.float64).reshape(-1, 4)
    if len(ids) != len(boxes):
        raise ValueError(f"{name} frame {k}: {len(ids)} ids but {len(boxes)} boxes")
    if len(np.unique(ids)) != len(ids):
        raise ValueError(f"{name} frame {k}: an id appears twice in one frame ({ids.tolist()})")
    return ids, boxes


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")
