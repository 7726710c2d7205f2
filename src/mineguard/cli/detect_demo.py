"""``mineguard detect demo``: the detector in one command (the main job before the platform
landed) — generate a small helmet / no-helmet scene set, train YOLOv10-N on it for a few epochs,
evaluate, print where it all is.

It needs no data from outside and no server. The settings are for a quick CPU run, not the
paper's recipe: a generated set this small needs lr 0.01 to learn in a few epochs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="train and evaluate a small detector on a generated helmet set")
    p.add_argument("--out", type=Path, default=Path("runs/demo"))
    p.add_argument("--model", default="yolov10n")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--img-size", type=int, default=160)
    p.add_argument("--train-images", type=int, default=160)
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from mineguard.data.synthetic import generate_helmet_dataset
    from mineguard.engine.config import load_train_config
    from mineguard.engine.report import evaluate_checkpoint
    from mineguard.engine.trainer import Trainer

    if args.threads:
        torch.set_num_threads(args.threads)
    data_yaml = generate_helmet_dataset(
        args.out / "dataset", n_train=args.train_images, n_val=32, n_test=48, img_size=args.img_size, seed=0
    )
    print(f"generated dataset: {data_yaml}")
    config = load_train_config(
        {
            "model": args.model,
            "data": str(data_yaml),
            "out_dir": str(args.out / "train"),
            "img_size": args.img_size,
            "epochs": args.epochs,
            "batch_size": 8,
            "nominal_batch": 8,
            "lr0": 0.01,
            "warmup_epochs": 1,
            "workers": 0,
        },
        source="demo",
    )
    summary = Trainer(config).fit()
    report = evaluate_checkpoint(summary.best_checkpoint, data_yaml, split="test", out_dir=args.out / "train")
    print(report.result.metrics.summary())
    print(f"\nweights: {summary.best_checkpoint} (best of {summary.epochs_run} epochs: epoch {summary.best_epoch})")
    print(f"metrics: {report.metrics_path}")
    print("plots:\n  " + "\n  ".join(str(p) for p in report.plots))
    return 0
