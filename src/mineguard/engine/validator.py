"""Run a detector over a dataset and score it (predictions mapped back to original pixels)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader

from mineguard.data.datasets.detection import DetectionDataset, collate_detection
from mineguard.data.records import Detections
from mineguard.evaluation.detection import DetectionMetrics, evaluate_detections
from mineguard.runtime.inference import outputs_to_detections


@dataclass(frozen=True)
class ValidationResult:
    metrics: DetectionMetrics
    predictions: list[Detections]
    ground_truths: list[Detections]
    seconds_per_image: float


@torch.no_grad()
def predict_dataset(
    model: nn.Module,
    dataset: DetectionDataset,
    *,
    batch_size: int = 16,
    device: torch.device | str = "cpu",
    conf: float = 0.001,
    workers: int = 0,
) -> tuple[list[Detections], float]:
    """Predictions for every image of ``dataset`` (original pixels) and seconds per image."""
    import time

    model.eval()
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=workers, collate_fn=collate_detection
    )
    predictions: list[Detections] = []
    elapsed = 0.0
    for batch in loader:
        images = batch.images.to(device, non_blocking=True)
        start = time.perf_counter()
        outputs = model(images)
        elapsed += time.perf_counter() - start
        for out, sample in zip(outputs, batch.samples, strict=True):
            predictions.append(outputs_to_detections(out, sample.ratio, sample.pad, sample.orig_shape, conf))
    return predictions, elapsed / max(len(dataset), 1)


def validate(
    model: nn.Module,
    dataset: DetectionDataset,
    names: list[str],
    *,
    batch_size: int = 16,
    device: torch.device | str = "cpu",
    conf: float = 0.001,
    workers: int = 0,
) -> ValidationResult:
    """Predict every image and evaluate against its labels (COCO 101-point mAP)."""
    predictions, spi = predict_dataset(model, dataset, batch_size=batch_size, device=device, conf=conf, workers=workers)
    truths = [dataset.load_ground_truth(i) for i in range(len(dataset))]
    metrics = evaluate_detections(predictions, truths, names)
    return ValidationResult(metrics, predictions, truths, spi)
