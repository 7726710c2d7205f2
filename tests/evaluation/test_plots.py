"""Each plot writes a non-empty PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mineguard.data.records import Detections
from mineguard.evaluation import DetectionMetrics, evaluate_detections
from mineguard.evaluation.plots import (
    plot_confusion_matrix,
    plot_loss_curves,
    plot_pr_curves,
    plot_sample_predictions,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ("helmet", "person", "vest")


def assert_png(path: Path) -> None:
    assert path.is_file()
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1000


def sample_case() -> tuple[list[np.ndarray], list[Detections], list[Detections]]:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (64 + 8 * i, 96, 3), dtype=np.uint8) for i in range(5)]
    gts = [Detections(np.array([[4, 4, 30, 40], [40, 10, 80, 50]], np.float32), np.array([0, 1])) for _ in images]
    preds = [
        Detections(
            np.array([[5, 5, 31, 41], [42, 12, 78, 52], [10, 30, 20, 60]], np.float32),
            np.array([0, 1, 2]),
            np.array([0.9, 0.6, 0.1 + 0.2 * i], np.float32),
        )
        for i in range(len(images))
    ]
    return images, preds, gts


@pytest.fixture(scope="module")
def metrics() -> DetectionMetrics:
    _, preds, gts = sample_case()
    return evaluate_detections(preds, gts, NAMES)


def test_plot_loss_curves(tmp_path: Path) -> None:
    csv_path = tmp_path / "results.csv"
    header = "epoch, train/box_om, train/cls_om, train/dfl_om, train/box_oo, train/cls_oo, train/dfl_oo, "
    header += "val/box_om, metrics/mAP50, lr/pg0"
    rows = [header] + [
        ", ".join(str(v) for v in [e, *(np.full(7, 3.0 / (e + 1)).round(4)), 0.1 * e, 0.01]) for e in range(6)
    ]
    csv_path.write_text("\n".join(rows) + "\n")
    out = plot_loss_curves(csv_path, tmp_path / "plots" / "loss.png")
    assert out == tmp_path / "plots" / "loss.png"
    assert_png(out)


def test_plot_loss_curves_rejects_empty_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "results.csv"
    csv_path.write_text("epoch,train/box_om\n")
    with pytest.raises(ValueError, match="no data rows"):
        plot_loss_curves(csv_path, tmp_path / "loss.png")


def test_plot_pr_curves(tmp_path: Path, metrics: DetectionMetrics) -> None:
    assert_png(plot_pr_curves(metrics, tmp_path / "pr.png"))


@pytest.mark.parametrize("normalize", [True, False])
def test_plot_confusion_matrix(tmp_path: Path, metrics: DetectionMetrics, normalize: bool) -> None:
    assert_png(plot_confusion_matrix(metrics, tmp_path / "cm.png", normalize=normalize))


def test_plot_sample_predictions(tmp_path: Path) -> None:
    images, preds, gts = sample_case()
    assert_png(plot_sample_predictions(images, preds, gts, NAMES, tmp_path / "samples.png"))
    assert_png(plot_sample_predictions(images[:1], preds[:1], None, NAMES, tmp_path / "one.png", conf=0.5))


def test_plot_sample_predictions_rejects_mismatch(tmp_path: Path) -> None:
    images, preds, gts = sample_case()
    with pytest.raises(ValueError, match="one per image"):
        plot_sample_predictions(images, preds[:2], gts, NAMES, tmp_path / "samples.png")


def test_plots_handle_metrics_without_ground_truth(tmp_path: Path) -> None:
    empty = evaluate_detections([Detections.empty()], [Detections.empty()], NAMES)
    assert_png(plot_pr_curves(empty, tmp_path / "pr.png"))
    assert_png(plot_confusion_matrix(empty, tmp_path / "cm.png"))
