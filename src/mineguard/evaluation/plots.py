"""Result plots: training curves, PR curves, confusion matrix, sample predictions.

Figures are built with the object API (``matplotlib.figure.Figure``) and rendered by the Agg
canvas, so nothing touches pyplot's global state or the process-wide backend. Each function
writes one PNG and returns its path.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mineguard.data.records import Detections
from mineguard.evaluation.detection import DetectionMetrics

logger = logging.getLogger(__name__)

MAX_SAMPLE_IMAGES = 16
_SKIPPED_COLUMNS = ("epoch", "lr")


def _save(fig: Figure, out_png: str | Path, dpi: int = 150) -> Path:
    """Render ``fig`` with Agg to ``out_png`` (parent folders created) and return the path."""
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(out, dpi=dpi)
    logger.info("wrote %s", out)
    return out


def _class_colour(class_id: int, num_classes: int) -> tuple[float, float, float, float]:
    """A stable RGBA colour per class from the tab20 palette (cycling past 20 classes)."""
    cmap = colormaps["tab20"] if num_classes > 10 else colormaps["tab10"]
    return cmap(class_id % cmap.N)


def _read_numeric_columns(csv_path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Epoch vector and every numeric column except epoch and learning rates.

    Returns:
        ``(epoch, columns)``: (E,) epochs (row index when there is no ``epoch`` column) and a
        mapping name -> (E,) float64 values with NaN for blank or non-numeric cells.
    """
    with csv_path.open(newline="") as handle:
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]
    if not rows:
        raise ValueError(f"{csv_path}: no data rows — train for at least one epoch first")

    def as_float(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return math.nan

    names = list(rows[0])
    table = {name: np.array([as_float(row.get(name, "")) for row in rows]) for name in names}
    epoch = table["epoch"] if "epoch" in table else np.arange(len(rows), dtype=np.float64)
    columns = {
        name: values
        for name, values in table.items()
        if not name.lower().startswith(_SKIPPED_COLUMNS) and np.isfinite(values).any()
    }
    return epoch, columns


def plot_loss_curves(csv_path: str | Path, out_png: str | Path) -> Path:
    """One subplot per numeric column of a training CSV (losses, val losses, metrics).

    Args:
        csv_path: CSV with an ``epoch`` column and columns such as ``train/box_om``,
            ``val/cls_oo``, ``metrics/mAP50``; ``epoch`` and ``lr*`` columns are not plotted.
        out_png: where to write the PNG.

    Returns:
        The path written.

    Raises:
        ValueError: the CSV has no rows or no numeric column to plot.
    """
    csv_path = Path(csv_path)
    epoch, columns = _read_numeric_columns(csv_path)
    if not columns:
        raise ValueError(f"{csv_path}: no numeric columns besides epoch/lr to plot")
    ncols = min(5, len(columns))
    nrows = math.ceil(len(columns) / ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (name, values) in zip(axes, columns.items(), strict=False):
        ax.plot(epoch, values, marker=".", linewidth=1.5)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    return _save(fig, out_png)


def plot_pr_curves(metrics: DetectionMetrics, out_png: str | Path) -> Path:
    """Precision-recall curves at IoU 0.5, one per class with ground truth, plus their mean.

    Args:
        metrics: result of :func:`mineguard.evaluation.evaluate_detections`.
        out_png: where to write the PNG.

    Returns:
        The path written.
    """
    fig = Figure(figsize=(7, 5.5), layout="constrained")
    ax = fig.subplots()
    present = np.isfinite(metrics.pr_precision).all(axis=1)
    nc = len(metrics.names)
    for c in np.flatnonzero(present):
        ax.plot(
            metrics.pr_recall,
            metrics.pr_precision[c],
            linewidth=1,
            color=_class_colour(int(c), nc),
            label=f"{metrics.names[c]} {metrics.ap50[c]:.3f}",
        )
    ax.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.02))
    ax.set_title("Precision-Recall (IoU 0.5)")
    ax.grid(alpha=0.3)
    if not present.any():
        ax.text(0.5, 0.5, "no ground truth", ha="center", va="center", transform=ax.transAxes)
        return _save(fig, out_png)
    mean_curve = metrics.pr_precision[present].mean(axis=0)
    ax.plot(metrics.pr_recall, mean_curve, linewidth=3, color="blue", label=f"all {metrics.map50:.3f} mAP50")
    ax.legend(loc="lower left", fontsize=7 if nc > 10 else 9)
    return _save(fig, out_png)


def plot_confusion_matrix(metrics: DetectionMetrics, out_png: str | Path, normalize: bool = True) -> Path:
    """Confusion matrix (rows predicted, columns true, background last).

    Args:
        metrics: result of :func:`mineguard.evaluation.evaluate_detections`.
        out_png: where to write the PNG.
        normalize: divide each column by its total, so a column shows where the boxes of one
            true class went.

    Returns:
        The path written.
    """
    matrix = metrics.confusion_matrix.astype(np.float64)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=0, keepdims=True), 1)
    labels = [*metrics.names, "background"]
    size = max(5.0, 0.45 * len(labels) + 2)
    fig = Figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels, rotation=90, fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set(xlabel="True", ylabel="Predicted", title="Confusion matrix" + (" (normalised)" if normalize else ""))
    if len(labels) <= 30:
        _annotate_cells(ax, matrix, normalize)
    return _save(fig, out_png)


def _annotate_cells(ax: Axes, matrix: np.ndarray, normalize: bool) -> None:
    """Write each non-zero cell's value in the cell, white on dark cells."""
    peak = matrix.max() if matrix.size and matrix.max() > 0 else 1.0
    for (row, col), value in np.ndenumerate(matrix):
        if value == 0:
            continue
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        colour = "white" if value > 0.5 * peak else "black"
        ax.text(col, row, text, ha="center", va="center", fontsize=7, color=colour)


def plot_sample_predictions(
    images: Sequence[np.ndarray],
    predictions: Sequence[Detections],
    ground_truths: Sequence[Detections] | None,
    names: Sequence[str],
    out_png: str | Path,
    conf: float = 0.25,
) -> Path:
    """A grid of up to 16 images with ground truth (thin green) and predictions (labelled).

    Args:
        images: HxWx3 uint8 RGB arrays.
        predictions: one :class:`Detections` per image, xyxy pixels of that image.
        ground_truths: one :class:`Detections` per image, or None to draw predictions only.
        names: class names for the labels (``name 0.87``).
        out_png: where to write the PNG.
        conf: draw predictions with ``confidence >= conf`` only.

    Returns:
        The path written.

    Raises:
        ValueError: images, predictions and ground truths differ in number.
    """
    if len(images) != len(predictions) or (ground_truths is not None and len(ground_truths) != len(images)):
        raise ValueError(
            f"images ({len(images)}), predictions ({len(predictions)}) and ground_truths "
            f"({'None' if ground_truths is None else len(ground_truths)}) must be one per image"
        )
    count = min(len(images), MAX_SAMPLE_IMAGES)
    ncols = max(1, math.ceil(math.sqrt(count)))
    nrows = max(1, math.ceil(count / ncols))
    fig = Figure(figsize=(4 * ncols, 4 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    for i in range(count):
        truth = None if ground_truths is None else ground_truths[i]
        _draw_image(axes[i], images[i], predictions[i], truth, names, conf)
    return _save(fig, out_png, dpi=100)


def _draw_image(
    ax: Axes,
    image: np.ndarray,
    prediction: Detections,
    truth: Detections | None,
    names: Sequence[str],
    conf: float,
) -> None:
    """Draw one image with its ground-truth and prediction boxes on ``ax``."""
    ax.imshow(image)
    if truth is not None:
        for x1, y1, x2, y2 in truth.xyxy.tolist():
            ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="lime", linewidth=0.8))
    kept = prediction[prediction.confidence >= conf]
    for (x1, y1, x2, y2), cls, score in zip(
        kept.xyxy.tolist(), kept.class_id.tolist(), kept.confidence.tolist(), strict=True
    ):
        colour = _class_colour(cls, len(names))
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor=colour, linewidth=1.5))
        name = names[cls] if 0 <= cls < len(names) else str(cls)
        label_box = {"facecolor": colour, "edgecolor": "none", "pad": 1}
        ax.text(x1, y1, f"{name} {score:.2f}", fontsize=6, color="white", va="bottom", bbox=label_box)
