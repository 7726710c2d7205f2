"""Evaluate a trained checkpoint on a split and write metrics JSON and PNG plots."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import torch

from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.datasets.detection import DetectionDataset
from mineguard.engine.validator import ValidationResult, validate
from mineguard.evaluation.plots import (
    plot_confusion_matrix,
    plot_loss_curves,
    plot_pr_curves,
    plot_sample_predictions,
)
from mineguard.models.checkpoint import load_model
from mineguard.models.profile import profile_model
from mineguard.runtime.inference import resolve_device


@dataclass(frozen=True)
class EvaluationReport:
    result: ValidationResult
    split: str
    metrics_path: Path
    plots: list[Path]
    summary: dict


def evaluate_checkpoint(
    weights: str | Path,
    data: str | Path,
    *,
    split: str = "val",
    out_dir: str | Path,
    img_size: int | None = None,
    device: str = "auto",
    batch_size: int = 16,
) -> EvaluationReport:
    """Score ``weights`` on ``split`` of ``data``; write ``metrics_<split>.json`` and plots."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model, ckpt = load_model(weights)
    dev = resolve_device(device)
    model.to(dev)
    spec = load_data_yaml(data)
    names = list(ckpt.get("names") or spec.names)
    if list(spec.names) != names:
        raise ValueError(
            f"{data}: classes {list(spec.names)} differ from the model's {names} — "
            "evaluate on a dataset with the same class list"
        )
    key = split if split in spec.splits else {"val": "valid", "valid": "val"}.get(split, split)
    if key not in spec.splits:
        raise ValueError(f"{data}: no '{split}' split — available: {', '.join(spec.splits)}")
    size = img_size or int(ckpt.get("img_size", 640))
    dataset = DetectionDataset(list(spec.splits[key]), names, img_size=size)
    result = validate(model, dataset, names, batch_size=batch_size, device=dev)
    profile = profile_model(model, img_size=size)
    summary = {
        "weights": str(weights),
        "model": ckpt["model_name"],
        "data": str(data),
        "split": split,
        "images": len(dataset),
        "img_size": size,
        "device": str(dev),
        "torch_threads": torch.get_num_threads(),
        "ms_per_image": round(result.seconds_per_image * 1000, 2),
        "params_inference": profile.params_inference,
        "params_total": profile.params_total,
        "gflops_at_img_size": round(profile.gflops, 3),
        "gflops_640": round(profile_model(model, img_size=640).gflops, 3),
        "metrics": result.metrics.to_dict(),
    }
    metrics_path = out_dir / f"metrics_{split}.json"
    metrics_path.write_text(json.dumps(summary, indent=2))
    plots = [
        plot_pr_curves(result.metrics, out_dir / f"pr_curves_{split}.png"),
        plot_confusion_matrix(result.metrics, out_dir / f"confusion_matrix_{split}.png"),
    ]
    sample = list(range(min(16, len(dataset))))
    images = [cv2.cvtColor(cv2.imread(str(dataset.image_paths[i])), cv2.COLOR_BGR2RGB) for i in sample]
    plots.append(
        plot_sample_predictions(
            images,
            [result.predictions[i] for i in sample],
            [result.ground_truths[i] for i in sample],
            names,
            out_dir / f"predictions_{split}.png",
        )
    )
    results_csv = Path(weights).parent / "results.csv"
    if results_csv.is_file():
        plots.append(plot_loss_curves(results_csv, out_dir / "loss_curves.png"))
    return EvaluationReport(result, split, metrics_path, plots, summary)
