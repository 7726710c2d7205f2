"""Known answers, pycocotools agreement, confusion matrix and bad input for detection metrics."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from mineguard.data.records import Detections
from mineguard.evaluation import DetectionMetrics, evaluate_detections
from mineguard.evaluation.matching import box_iou, match_coco

NAMES = ("helmet", "person", "vest")


def dets(boxes: list[list[float]], classes: list[int], conf: list[float] | None = None) -> Detections:
    if not boxes:
        return Detections.empty()
    return Detections(np.array(boxes, np.float32), np.array(classes), None if conf is None else np.array(conf))


def perfect_case() -> list[Detections]:
    return [
        dets([[0, 0, 10, 10], [20, 20, 40, 50]], [0, 1]),
        dets([[5, 5, 25, 30]], [2]),
        dets([], []),
    ]


# ----------------------------------------------------------------- known answers


def test_perfect_predictions_score_one() -> None:
    gts = perfect_case()
    preds = [Detections(g.xyxy, g.class_id, np.full(len(g), 0.9, np.float32)) for g in gts]
    m = evaluate_detections(preds, gts, NAMES)
    assert m.map50 == pytest.approx(1.0)
    assert m.map50_95 == pytest.approx(1.0)
    np.testing.assert_allclose(m.precision, 1.0)
    np.testing.assert_allclose(m.recall, 1.0)
    assert m.mean_f1 == pytest.approx(1.0)
    np.testing.assert_array_equal(m.instances, [1, 1, 1])
    assert m.num_images == 3


def test_no_predictions_score_zero() -> None:
    gts = perfect_case()
    m = evaluate_detections([Detections.empty()] * 3, gts, NAMES)
    assert m.map50 == 0.0
    assert m.map50_95 == 0.0
    assert m.mean_precision == 0.0
    assert m.mean_recall == 0.0
    np.testing.assert_array_equal(m.confusion_matrix[-1, :3], [1, 1, 1])


def test_one_class_fully_missed_of_two_gives_half() -> None:
    gts = [dets([[0, 0, 10, 10], [30, 30, 60, 60]], [0, 1])]
    preds = [dets([[0, 0, 10, 10]], [0], [0.8])]
    m = evaluate_detections(preds, gts, ("a", "b"))
    assert m.map50 == pytest.approx(0.5)
    assert m.map50_95 == pytest.approx(0.5)
    np.testing.assert_allclose(m.ap50, [1.0, 0.0])


def test_class_without_ground_truth_is_excluded_from_the_mean() -> None:
    gts = [dets([[0, 0, 10, 10]], [0])]
    preds = [dets([[0, 0, 10, 10], [50, 50, 70, 70]], [0, 2], [0.9, 0.95])]
    m = evaluate_detections(preds, gts, NAMES)
    assert m.map50_95 == pytest.approx(1.0)
    assert np.isnan(m.ap50[1]) and np.isnan(m.ap50[2])
    assert m.to_dict()["per_class"]["vest"]["ap50"] is None


def test_hand_computed_ap_two_gt_three_predictions() -> None:
    # Ranked: exact hit on A (TP), a box on nothing (FP), a hit on B with IoU 100/120 = 0.833.
    # IoU <= 0.8: TP FP TP -> recall .5 .5 1, precision 1 .5 .667 -> envelope 1 .667 .667:
    # recall points 0..0.50 (51 of them) read 1, points 0.51..1 (50) read 2/3.
    # IoU 0.85..0.95: TP FP FP -> 51 points read 1, the rest 0.
    gts = [dets([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0])]
    preds = [dets([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 32]], [0, 0, 0], [0.9, 0.8, 0.7])]
    m = evaluate_detections(preds, gts, ("miner",))
    ap_loose = (51 * 1.0 + 50 * 2 / 3) / 101
    ap_strict = 51 / 101
    assert m.map50 == pytest.approx(ap_loose, abs=1e-9)
    assert m.map50_95 == pytest.approx((7 * ap_loose + 3 * ap_strict) / 10, abs=1e-9)
    # Best mean F1 keeps all three: P = 2/3, R = 1, F1 = 0.8.
    assert m.precision[0] == pytest.approx(2 / 3, abs=1e-6)
    assert m.recall[0] == pytest.approx(1.0, abs=1e-6)
    assert m.f1[0] == pytest.approx(0.8, abs=1e-6)
    assert m.best_conf <= 0.7
    assert m.pr_precision.shape == (1, 101)
    assert m.pr_precision[0, 50] == pytest.approx(1.0)
    assert m.pr_precision[0, 51] == pytest.approx(2 / 3)


def test_box_iou_known_answers() -> None:
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[0, 0, 10, 10], [0, 0, 5, 5], [20, 20, 30, 30], [10, 0, 20, 10]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 0.25, 0.0, 0.0]])
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 4)


def test_match_coco_equal_iou_goes_to_last_ground_truth() -> None:
    # pycocotools' "if iou < best: continue" loop lets a later gt with equal IoU win.
    iou = np.array([[0.6, 0.6], [0.0, 0.9]])
    np.testing.assert_array_equal(match_coco(iou, np.array([0.5])), [[True, False]])


def test_max_dets_keeps_top_scores_per_image_and_class() -> None:
    gts = [dets([[0, 0, 10, 10]], [0])]
    junk = [[100 + i, 100, 110 + i, 110] for i in range(5)]
    preds = [dets([*junk, [0, 0, 10, 10]], [0] * 6, [0.9] * 5 + [0.1])]
    assert evaluate_detections(preds, gts, ("a",), max_dets=5).map50 == 0.0
    assert evaluate_detections(preds, gts, ("a",), max_dets=6).map50 > 0.0


# ----------------------------------------------------------------- agreement with pycocotools


def random_case(seed: int, num_images: int = 30, nc: int = 3) -> tuple[list[Detections], list[Detections]]:
    """Jittered predictions with misses, duplicates, wrong classes, false positives, >100 dets."""
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for i in range(num_images):
        n = int(rng.integers(0, 7))
        xy = rng.uniform(0, 500, (n, 2))
        wh = rng.uniform(8, 120, (n, 2))
        gt_boxes = np.concatenate([xy, xy + wh], axis=1)
        gt_cls = rng.integers(0, nc, n)
        boxes, classes = [], []
        for box, cls, size in zip(gt_boxes, gt_cls, wh, strict=True):
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):  # missed, found, duplicated
                boxes.append(box + rng.normal(0, 0.08, 4) * np.tile(size, 2))
                classes.append(int(cls) if rng.random() > 0.1 else int(rng.integers(0, nc)))
        num_fp = 110 if i == 0 else int(rng.integers(0, 4))
        fp_xy = rng.uniform(0, 500, (num_fp, 2))
        boxes.extend(np.concatenate([fp_xy, fp_xy + rng.uniform(8, 120, (num_fp, 2))], axis=1))
        classes.extend(rng.integers(0, nc, num_fp).tolist())
        scores = rng.uniform(0.01, 1.0, len(boxes))
        if i == 0:
            scores[len(scores) - num_fp :] *= 0.3  # the crowd of false positives scores low
        gts.append(Detections(gt_boxes.reshape(-1, 4), gt_cls))
        preds.append(Detections(np.array(boxes).reshape(-1, 4), np.array(classes, np.int64), scores))
    return preds, gts


def pycocotools_map(preds: list[Detections], gts: list[Detections], nc: int) -> tuple[float, float]:
    """(mAP50-95, mAP50) from pycocotools on the same boxes (xywh in float64)."""
    coco_mod = pytest.importorskip("pycocotools.coco")
    cocoeval_mod = pytest.importorskip("pycocotools.cocoeval")

    def xywh(box: np.ndarray) -> list[float]:
        x1, y1, x2, y2 = (float(v) for v in box)
        return [x1, y1, x2 - x1, y2 - y1]

    annotations = []
    for image_id, gt in enumerate(gts, start=1):
        for box, cls in zip(gt.xyxy, gt.class_id.tolist(), strict=True):
            b = xywh(box)
            ann_id = len(annotations) + 1
            ann = {"id": ann_id, "image_id": image_id, "category_id": cls + 1, "bbox": b, "iscrowd": 0}
            annotations.append({**ann, "area": b[2] * b[3]})
    results = [
        {"image_id": image_id, "category_id": cls + 1, "bbox": xywh(box), "score": float(score)}
        for image_id, pred in enumerate(preds, start=1)
        for box, cls, score in zip(pred.xyxy, pred.class_id.tolist(), pred.confidence, strict=True)
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = coco_mod.COCO()
        coco_gt.dataset = {
            "images": [{"id": i, "width": 640, "height": 640} for i in range(1, len(gts) + 1)],
            "annotations": annotations,
            "categories": [{"id": c + 1, "name": str(c)} for c in range(nc)],
        }
        coco_gt.createIndex()
        coco_eval = cocoeval_mod.COCOeval(coco_gt, coco_gt.loadRes(results), "bbox")
        coco_eval.params.maxDets = [1, 10, 100]
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    return float(coco_eval.stats[0]), float(coco_eval.stats[1])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_agrees_with_pycocotools_on_random_predictions(seed: int) -> None:
    preds, gts = random_case(seed)
    m = evaluate_detections(preds, gts, NAMES)
    map50_95, map50 = pycocotools_map(preds, gts, len(NAMES))
    assert 0.05 < m.map50 < 0.99  # the case is neither trivial nor hopeless
    assert m.map50 == pytest.approx(map50, abs=1e-3)
    assert m.map50_95 == pytest.approx(map50_95, abs=1e-3)


def test_agrees_with_pycocotools_on_equal_iou_tie() -> None:
    # The first detection overlaps both GTs equally (IoU 90/110); COCO gives it the second GT,
    # so the second detection (identical to GT 2) has to fall back on GT 1 at IoU 80/120.
    gts = [dets([[0, 0, 10, 10], [2, 0, 12, 10]], [0, 0])]
    preds = [dets([[1, 0, 11, 10], [2, 0, 12, 10]], [0, 0], [0.9, 0.8])]
    m = evaluate_detections(preds, gts, ("a",))
    map50_95, map50 = pycocotools_map(preds, gts, 1)
    assert m.map50 == pytest.approx(map50, abs=1e-9)
    assert m.map50_95 == pytest.approx(map50_95, abs=1e-9)
    assert m.map50_95 < 0.9


# ----------------------------------------------------------------- confusion matrix


def test_confusion_matrix_known_answer() -> None:
    gts = [dets([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], [0, 1, 1])]
    preds = [
        dets(
            [[0, 0, 10, 10], [20, 20, 30, 30], [80, 80, 90, 90], [50, 50, 60, 60], [0, 0, 10, 11]],
            [0, 0, 1, 1, 0],
            [0.9, 0.8, 0.7, 0.1, 0.6],  # 0.1 falls below conf_matrix_conf; the last is a duplicate
        )
    ]
    m = evaluate_detections(preds, gts, ("helmet", "person"))
    expected = [
        [1, 1, 1],  # predicted helmet: true helmet, true person (wrong class), duplicate -> background
        [0, 0, 1],  # predicted person on nothing
        [0, 1, 0],  # missed person
    ]
    np.testing.assert_array_equal(m.confusion_matrix, expected)


# ----------------------------------------------------------------- empty and bad input


def test_empty_inputs() -> None:
    m = evaluate_detections([], [], NAMES)
    assert m.map50 == 0.0 and m.num_images == 0
    m = evaluate_detections([Detections.empty()] * 2, [Detections.empty()] * 2, NAMES)
    assert m.map50_95 == 0.0
    assert m.confusion_matrix.sum() == 0
    assert "all" in m.summary()


def test_predictions_on_images_without_ground_truth_are_false_positives() -> None:
    gts = [dets([[0, 0, 10, 10]], [0]), Detections.empty()]
    preds = [dets([[0, 0, 10, 10]], [0], [0.5]), dets([[0, 0, 10, 10]], [0], [0.9])]
    m = evaluate_detections(preds, gts, ("a",))
    assert m.map50 == pytest.approx(0.5, abs=1e-9)  # FP ranked first: precision 1/2 at every recall


def test_length_mismatch_names_both_lengths() -> None:
    with pytest.raises(ValueError, match=r"predictions has 2 .* ground_truths has 3"):
        evaluate_detections([Detections.empty()] * 2, [Detections.empty()] * 3, NAMES)


def test_bad_class_id_and_thresholds_rejected() -> None:
    with pytest.raises(ValueError, match="class_id 5"):
        evaluate_detections([dets([[0, 0, 1, 1]], [5], [0.5])], [Detections.empty()], NAMES)
    with pytest.raises(ValueError, match=r"include 0\.5"):
        evaluate_detections([], [], NAMES, iou_thresholds=[0.75])


# ----------------------------------------------------------------- result object


def test_to_dict_is_json_and_summary_has_rows() -> None:
    preds, gts = random_case(7, num_images=5)
    m = evaluate_detections(preds, gts, NAMES)
    assert isinstance(m, DetectionMetrics)
    payload = json.loads(json.dumps(m.to_dict(), allow_nan=False))
    assert set(payload["per_class"]) == set(NAMES)
    assert payload["map50"] == pytest.approx(m.map50)
    lines = m.summary().splitlines()
    assert lines[0].split() == ["class", "images", "instances", "P", "R", "mAP50", "mAP50-95"]
    assert lines[1].split()[0] == "all"
    assert len(lines) == 2 + len(NAMES)
