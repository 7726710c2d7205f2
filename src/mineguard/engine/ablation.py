"""Several training runs compared in one table: seed 001's Table 6 ablation and k-fold CV.

Each row trains in its own folder; a row whose ``metrics_<split>.json`` exists is not trained
again and a row with a ``last.pt`` resumes, so an interrupted ablation continues where it
stopped when the same command is run again.
"""

from __future__ import annotations

import json
import logging
import statistics
from pathlib import Path
from typing import Any

from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.split import write_kfold
from mineguard.engine.config import TrainConfig, load_train_config
from mineguard.engine.report import evaluate_checkpoint
from mineguard.engine.trainer import Trainer
from mineguard.models.checkpoint import read_checkpoint

LOGGER = logging.getLogger(__name__)
COLUMNS = ("precision", "recall", "mAP50", "mAP50-95", "params_M", "GFLOPs_640", "ms_per_image")
# seed 001's Table 6 rows: row name -> (model name, builder kwargs)
ABLATION_ROWS: dict[str, tuple[str, dict[str, Any]]] = {
    "baseline": ("yolov10n", {}),
    "ca": ("yolov10n-ca", {}),
    "ca_dyhead": ("yolov10n-ca-dyhead", {}),
    "ca_dyhead_eiou": ("ca-yolov10n", {}),
}


def fit_row(values: dict[str, Any], run_dir: Path) -> TrainConfig:
    """Train one run, resume it from ``last.pt`` if it stopped early, or reuse it if it finished."""
    config = load_train_config({**values, "out_dir": str(run_dir)}, source=str(run_dir))
    last = run_dir / "last.pt"
    resume = None
    if last.is_file():
        done = read_checkpoint(last)["epoch"] + 1
        resume = last if done < config.epochs else None
        if resume is None:
            LOGGER.info("%s: training finished earlier (%d epochs)", run_dir, done)
    if resume is not None or not (run_dir / "best.pt").is_file():
        Trainer(config, resume_from=resume).fit()
    return config


def train_row(values: dict[str, Any], run_dir: Path, eval_split: str) -> dict[str, Any]:
    """Train (or resume, or reuse) one run and return its evaluation summary."""
    metrics_path = run_dir / f"metrics_{eval_split}.json"
    if metrics_path.is_file():
        LOGGER.info("%s: already evaluated, reusing %s", run_dir, metrics_path)
        return json.loads(metrics_path.read_text())
    config = fit_row(values, run_dir)
    report = evaluate_checkpoint(
        run_dir / "best.pt", config.data, split=eval_split, out_dir=run_dir, device=config.device
    )
    return report.summary


def _row_numbers(summary: dict[str, Any]) -> dict[str, float]:
    m = summary["metrics"]
    return {
        "precision": m["precision"],
        "recall": m["recall"],
        "mAP50": m["map50"],
        "mAP50-95": m["map50_95"],
        "params_M": summary["params_inference"] / 1e6,
        "GFLOPs_640": summary["gflops_640"],
        "ms_per_image": summary["ms_per_image"],
    }


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table with one line per row name."""
    lines = ["| row | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, values in rows.items():
        cells = [
            f"{values[c]:.4f}" if c in ("precision", "recall", "mAP50", "mAP50-95") else f"{values[c]:.2f}"
            for c in COLUMNS
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_ablation(
    values: dict[str, Any],
    rows: dict[str, tuple[str, dict[str, Any]]],
    out_dir: Path,
    *,
    eval_split: str = "test",
) -> str:
    """Train every row (model name + builder kwargs) with the same settings; write the table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    for row, (model, kwargs) in rows.items():
        row_values = {**values, "model": model, "model_kwargs": {**values.get("model_kwargs", {}), **kwargs}}
        results[row] = _row_numbers(train_row(row_values, out_dir / row, eval_split))
    (out_dir / "ablation.json").write_text(
        json.dumps({"settings": values, "split": eval_split, "rows": results}, indent=2)
    )
    table = format_table(results)
    (out_dir / "ablation.md").write_text(table + "\n")
    return table


def run_kfold(values: dict[str, Any], out_dir: Path, *, k: int = 5) -> str:
    """k-fold cross-validation over the pooled train+val images of ``values['data']``."""
    spec = load_data_yaml(values["data"])
    pooled = {s: p for s, p in spec.splits.items() if s != "test"}
    if not pooled:
        raise ValueError(f"{values['data']}: no train/val images to cross-validate")
    pooled_spec = type(spec)(spec.names, pooled, spec.root, spec.yaml_path)
    fold_yamls = write_kfold(pooled_spec, out_dir / "folds", k=k, seed=int(values.get("seed", 0)))
    results = {}
    for i, fold_yaml in enumerate(fold_yamls):
        summary = train_row({**values, "data": str(fold_yaml)}, out_dir / f"fold_{i}", "val")
        results[f"fold_{i}"] = _row_numbers(summary)
    mean = {c: statistics.fmean(r[c] for r in results.values()) for c in COLUMNS}
    std = {c: statistics.pstdev(r[c] for r in results.values()) for c in COLUMNS}
    results |= {"mean": mean, "std": std}
    (out_dir / "kfold.json").write_text(json.dumps({"settings": values, "k": k, "folds": results}, indent=2))
    table = format_table(results)
    (out_dir / "kfold.md").write_text(table + "\n")
    return table
