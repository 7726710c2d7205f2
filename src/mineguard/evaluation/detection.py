"""Detection metrics: COCO mAP, P/R/F1 at the best confidence, PR curves, confusion matrix.

AP follows the COCO 101-point interpolated protocol (Lin et al., "Microsoft COCO: Common
Objects in Context", ECCV 2014; reference implementation ``pycocotools.cocoeval.COCOeval``,
bbox, area range 'all', no crowd): greedy score-ordered matching per image and class, the
precision envelope sampled at recall ``0, 0.01, ..., 1``. Results agree with ``pycocotools``
to within floating-point noise (tested to 1e-3).

P, R and F1 are reported at the single confidence that maximises the mean F1 over classes at
IoU 0.5, read off P(conf) and R(conf) curves on a 1000-point grid as ultralytics does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mineguard.data.records import Detections
from mineguard.evaluation.matching import box_iou, confusion_counts, match_coco

logger = logging.getLogger(__name__)

COCO_RECALL_GRID = np.linspace(0.0, 1.0, 101)
"""The 101 COCO recall thresholds ``0, 0.01, ..., 1`` (``COCOeval.params.recThrs``)."""
CONF_GRID_SIZE = 1000
_EPS = 1e-16


@dataclass(frozen=True, eq=False)
class DetectionMetrics:
    """Detection scores over a set of images; arrays are per class in ``names`` order.

    NaN marks a class without ground truth (COCO's -1): it is left out of every mean.

    Attributes:
        names: (nc,) class names.
        iou_thresholds: (T,) IoU thresholds of ``ap``.
        ap: (nc, T) AP per class and IoU threshold (COCO 101-point).
        precision: (nc,) precision at ``best_conf``, IoU 0.5.
        recall: (nc,) recall at ``best_conf``, IoU 0.5.
        f1: (nc,) F1 at ``best_conf``, IoU 0.5.
        best_conf: confidence threshold that maximises the mean F1 over classes.
        pr_recall: (101,) recall grid of the PR curves.
        pr_precision: (nc, 101) interpolated precision at IoU 0.5 on ``pr_recall``.
        confusion_matrix: (nc + 1, nc + 1) counts, rows = predicted, columns = true class;
            the last row/column is background (missed boxes / false alarms).
        instances: (nc,) ground-truth boxes per class.
        images_with_class: (nc,) images holding at least one ground-truth box of the class.
        num_images: images evaluated.
    """

    names: tuple[str, ...]
    iou_thresholds: np.ndarray
    ap: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    best_conf: float
    pr_recall: np.ndarray
    pr_precision: np.ndarray
    confusion_matrix: np.ndarray
    instances: np.ndarray
    images_with_class: np.ndarray
    num_images: int

    @property
    def ap50(self) -> np.ndarray:
        """(nc,) AP at IoU 0.5."""
        return self.ap[:, int(np.flatnonzero(np.isclose(self.iou_thresholds, 0.5))[0])]

    @property
    def ap50_95(self) -> np.ndarray:
        """(nc,) AP averaged over ``iou_thresholds`` (0.50:0.95 by default)."""
        return self.ap.mean(axis=1)

    @property
    def map50(self) -> float:
        """Mean AP at IoU 0.5 over classes with ground truth (COCO ``stats[1]``)."""
        return _mean_over_present(self.ap50)

    @property
    def map50_95(self) -> float:
        """Mean AP over IoU thresholds and classes with ground truth (COCO ``stats[0]``)."""
        return _mean_over_present(self.ap50_95)

    @property
    def mean_precision(self) -> float:
        return _mean_over_present(self.precision)

    @property
    def mean_recall(self) -> float:
        return _mean_over_present(self.recall)

    @property
    def mean_f1(self) -> float:
        return _mean_over_present(self.f1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary; per-class values keyed by class name, NaN as ``None``."""
        per_class = {
            name: {
                "images": int(self.images_with_class[i]),
                "instances": int(self.instances[i]),
                "precision": _json_float(self.precision[i]),
                "recall": _json_float(self.recall[i]),
                "f1": _json_float(self.f1[i]),
                "ap50": _json_float(self.ap50[i]),
                "ap50_95": _json_float(self.ap50_95[i]),
            }
            for i, name in enumerate(self.names)
        }
        return {
            "num_images": self.num_images,
            "instances": int(self.instances.sum()),
            "precision": self.mean_precision,
            "recall": self.mean_recall,
            "f1": self.mean_f1,
            "map50": self.map50,
            "map50_95": self.map50_95,
            "best_conf": self.best_conf,
            "iou_thresholds": [round(float(t), 6) for t in self.iou_thresholds],
            "names": list(self.names),
            "per_class": per_class,
            "confusion_matrix": self.confusion_matrix.tolist(),
        }

    def summary(self) -> str:
        """Text table: one row per class plus an ``all`` row; ``-`` where a class has no GT."""
        width = max(5, *(len(n) for n in self.names))
        totals = (self.mean_precision, self.mean_recall, self.map50, self.map50_95)
        rows = [
            _format_row(width, ("class", "images", "instances", "P", "R", "mAP50", "mAP50-95")),
            _format_row(width, ("all", self.num_images, int(self.instances.sum()), *totals)),
        ]
        for i, name in enumerate(self.names):
            values = (self.precision[i], self.recall[i], self.ap50[i], self.ap50_95[i])
            rows.append(_format_row(width, (name, int(self.images_with_class[i]), int(self.instances[i]), *values)))
        return "\n".join(rows)


def _format_row(width: int, cells: tuple[Any, ...]) -> str:
    """One table row: name left-aligned, counts as integers, scores to 3 decimals, NaN as ``-``."""
    text = [(f"{c:.3f}" if np.isfinite(c) else "-") if isinstance(c, float) else str(c) for c in cells]
    widths = (width, 6, 9, 6, 6, 6, 8)
    return "  ".join([text[0].ljust(width)] + [t.rjust(w) for t, w in zip(text[1:], widths[1:], strict=True)])


def _mean_over_present(values: np.ndarray) -> float:
    """Mean over finite entries; 0.0 when there are none (no class has ground truth)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else 0.0


def _json_float(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def evaluate_detections(
    predictions: Sequence[Detections],
    ground_truths: Sequence[Detections],
    names: Sequence[str],
    *,
    iou_thresholds: np.ndarray | Sequence[float] = np.linspace(0.5, 0.95, 10),  # noqa: B008
    max_dets: int = 100,
    conf_matrix_conf: float = 0.25,
    conf_matrix_iou: float = 0.45,
) -> DetectionMetrics:
    """Score detections against ground truth over a set of images.

    Args:
        predictions: one :class:`Detections` per image (xyxy pixels, class_id, confidence).
        ground_truths: one :class:`Detections` per image, same order; confidence is ignored.
        names: class names; class ids must lie in ``[0, len(names))``.
        iou_thresholds: (T,) IoU thresholds for mAP; must contain 0.5. Default COCO 0.50:0.05:0.95.
        max_dets: keep at most this many top-scoring detections per image and class
            (``COCOeval.params.maxDets[-1]``).
        conf_matrix_conf: detections with ``confidence >= conf_matrix_conf`` enter the
            confusion matrix.
        conf_matrix_iou: a detection and a ground truth pair up in the confusion matrix at
            ``IoU >= conf_matrix_iou``.

    Returns:
        :class:`DetectionMetrics`. Classes without ground truth get NaN AP/P/R/F1 and are left
        out of every mean (COCO marks them -1); with no ground truth at all the means are 0.

    Raises:
        ValueError: the two sequences differ in length, ``names`` is empty, a class id is out of
            range, ``max_dets < 1``, or 0.5 is not among ``iou_thresholds``.
    """
    thresholds = np.asarray(iou_thresholds, dtype=np.float64).reshape(-1)
    _validate(predictions, ground_truths, names, thresholds, max_dets)
    nc = len(names)
    t50 = int(np.flatnonzero(np.isclose(thresholds, 0.5))[0])

    scores: list[list[np.ndarray]] = [[] for _ in range(nc)]
    hits: list[list[np.ndarray]] = [[] for _ in range(nc)]
    instances = np.zeros(nc, dtype=np.int64)
    images_with_class = np.zeros(nc, dtype=np.int64)
    confusion = np.zeros((nc + 1, nc + 1), dtype=np.int64)
    for pred, gt in zip(predictions, ground_truths, strict=True):
        for c in np.union1d(pred.class_id, gt.class_id).tolist():
            pred_c = pred[pred.class_id == c]
            order = np.argsort(-pred_c.confidence, kind="mergesort")[:max_dets]
            gt_boxes = gt.xyxy[gt.class_id == c]
            hits[c].append(match_coco(box_iou(pred_c.xyxy[order], gt_boxes), thresholds))
            scores[c].append(pred_c.confidence[order])
        instances += np.bincount(gt.class_id, minlength=nc)
        images_with_class += np.bincount(np.unique(gt.class_id), minlength=nc)
        kept = pred[pred.confidence >= conf_matrix_conf]
        confusion += confusion_counts(kept.xyxy, kept.class_id, gt.xyxy, gt.class_id, nc, conf_matrix_iou)

    ap = np.full((nc, len(thresholds)), np.nan)
    pr_precision = np.full((nc, len(COCO_RECALL_GRID)), np.nan)
    p_curve = np.zeros((nc, CONF_GRID_SIZE))
    r_curve = np.zeros((nc, CONF_GRID_SIZE))
    for c in np.flatnonzero(instances > 0):
        score = np.concatenate(scores[c]) if scores[c] else np.zeros(0, np.float32)
        hit = np.concatenate(hits[c], axis=1) if hits[c] else np.zeros((len(thresholds), 0), bool)
        order = np.argsort(-score, kind="mergesort")
        score, hit = score[order], hit[:, order]
        interpolated = coco_interpolated_precision(hit, int(instances[c]))
        ap[c] = interpolated.mean(axis=1)
        pr_precision[c] = interpolated[t50]
        p_curve[c], r_curve[c] = _precision_recall_vs_confidence(score, hit[t50], int(instances[c]))

    has_gt = instances > 0
    if not has_gt.any():
        logger.warning("evaluate_detections: no ground-truth boxes in %d images; mAP is 0", len(predictions))
    precision, recall, f1, best_conf = _best_f1_operating_point(p_curve, r_curve, has_gt)
    return DetectionMetrics(
        names=tuple(names),
        iou_thresholds=thresholds,
        ap=ap,
        precision=precision,
        recall=recall,
        f1=f1,
        best_conf=best_conf,
        pr_recall=COCO_RECALL_GRID.copy(),
        pr_precision=pr_precision,
        confusion_matrix=confusion,
        instances=instances,
        images_with_class=images_with_class,
        num_images=len(predictions),
    )


def coco_interpolated_precision(hit: np.ndarray, num_gt: int) -> np.ndarray:
    """Precision envelope sampled at the 101 COCO recall points.

    Args:
        hit: (T, D) bool true-positive flags of one class's detections, sorted by descending score.
        num_gt: number of ground-truth boxes of the class (> 0).

    Returns:
        (T, 101) precision; 0 at recall levels never reached. Its mean over axis 1 is AP.
    """
    tp = np.cumsum(hit, axis=1, dtype=np.float64)
    fp = np.cumsum(~hit, axis=1, dtype=np.float64)
    recall = tp / num_gt
    precision = tp / (tp + fp + np.spacing(1))
    envelope = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    sampled = np.zeros((hit.shape[0], len(COCO_RECALL_GRID)))
    for t in range(hit.shape[0]):
        index = np.searchsorted(recall[t], COCO_RECALL_GRID, side="left")
        reached = index < hit.shape[1]
        sampled[t, reached] = envelope[t, index[reached]]
    return sampled


def _precision_recall_vs_confidence(score: np.ndarray, hit: np.ndarray, num_gt: int) -> tuple[np.ndarray, np.ndarray]:
    """P(conf) and R(conf) of one class on ``linspace(0, 1, 1000)``, as in ultralytics.

    Args:
        score: (D,) confidences sorted descending.
        hit: (D,) bool true-positive flags at IoU 0.5 in the same order.
        num_gt: ground-truth boxes of the class.

    Returns:
        ``(precision, recall)``, each (1000,); both 0 when the class has no detections.
    """
    grid = np.linspace(0.0, 1.0, CONF_GRID_SIZE)
    if len(score) == 0:
        return np.zeros(CONF_GRID_SIZE), np.zeros(CONF_GRID_SIZE)
    tp = np.cumsum(hit, dtype=np.float64)
    fp = np.cumsum(~hit, dtype=np.float64)
    conf = -score.astype(np.float64)
    recall = np.interp(-grid, conf, tp / (num_gt + _EPS), left=0.0)
    precision = np.interp(-grid, conf, tp / (tp + fp), left=1.0)
    return precision, recall


def _best_f1_operating_point(
    p_curve: np.ndarray, r_curve: np.ndarray, has_gt: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per-class P, R, F1 at the grid confidence maximising mean F1 over classes with GT.

    Args:
        p_curve: (nc, 1000) precision vs confidence.
        r_curve: (nc, 1000) recall vs confidence.
        has_gt: (nc,) bool, classes that have ground truth.

    Returns:
        ``(precision, recall, f1, conf)``; arrays (nc,) with NaN for classes without GT.
    """
    nc = len(has_gt)
    f1_curve = 2 * p_curve * r_curve / (p_curve + r_curve + _EPS)
    nan = np.full(nc, np.nan)
    if not has_gt.any():
        return nan, nan.copy(), nan.copy(), 0.0
    best = int(np.argmax(f1_curve[has_gt].mean(axis=0)))
    conf = float(np.linspace(0.0, 1.0, CONF_GRID_SIZE)[best])
    precision, recall, f1 = (np.where(has_gt, curve[:, best], np.nan) for curve in (p_curve, r_curve, f1_curve))
    return precision, recall, f1, conf


def _validate(
    predictions: Sequence[Detections],
    ground_truths: Sequence[Detections],
    names: Sequence[str],
    thresholds: np.ndarray,
    max_dets: int,
) -> None:
    """Raise ``ValueError`` with a fix-it message on inconsistent input."""
    if len(predictions) != len(ground_truths):
        raise ValueError(
            f"predictions has {len(predictions)} images but ground_truths has {len(ground_truths)} — "
            "pass one Detections per image to both, in the same order"
        )
    if len(names) == 0:
        raise ValueError("names is empty — pass the list of class names")
    if max_dets < 1:
        raise ValueError(f"max_dets must be >= 1, got {max_dets}")
    if len(thresholds) == 0 or not np.isclose(thresholds, 0.5).any():
        raise ValueError(f"iou_thresholds must include 0.5 (for mAP50, P, R), got {thresholds.tolist()}")
    nc = len(names)
    for label, sequence in (("predictions", predictions), ("ground_truths", ground_truths)):
        for i, dets in enumerate(sequence):
            bad = dets.class_id[(dets.class_id < 0) | (dets.class_id >= nc)]
            if len(bad):
                raise ValueError(
                    f"{label}[{i}] has class_id {int(bad[0])} outside [0, {nc}) — names lists {nc} "
                    "classes; check the dataset's class list"
                )
