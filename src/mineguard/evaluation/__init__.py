"""Evaluation: detection metrics (COCO mAP, P/R/F1, confusion matrix) and result plots."""

from mineguard.evaluation.detection import DetectionMetrics, evaluate_detections

__all__ = ["DetectionMetrics", "evaluate_detections"]
