"""Figure: the two probes behind "why lr0 0.01 breaks the YOLOv3 family" in ``docs/results/hazards.md``.

``gradnorm MODEL ...``: the pre-clip gradient norm of the engine's loss (terms summed, times the batch) on the
first three training batches of the merged hazard set at initialisation, per model.
``bn CHECKPOINT ...``: per level, the confidence of 32 validation images with batch statistics (train-mode
BatchNorm) and with running statistics (eval-mode BatchNorm), from a YOLOv3 checkpoint's raw maps.

    .venv/bin/python benchmarks/yolov3_collapse_probe.py gradnorm yolov3-gc-s yolov3-s yolov10n
    .venv/bin/python benchmarks/yolov3_collapse_probe.py bn runs/hazards320/yolov3-s/last.pt \
        runs/hazards320/yolov3-gc-s/last.pt

Both read ``data/hazards_merged`` (``mineguard data hazards --out data/hazards_merged``) and print; the
numbers quoted in the docs were copied from that output (2026-12-07, 1 torch thread).
"""

from __future__ import annotations

import argparse
import copy
import itertools
from pathlib import Path

import torch
import yaml
from torch import nn

from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.datasets.detection import DetectionDataset, collate_detection
from mineguard.engine.config import load_train_config
from mineguard.engine.trainer import Trainer
from mineguard.models.checkpoint import load_model

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "hazards_cpu320.yaml"


def gradnorm(models: list[str], out: Path) -> None:
    values = yaml.safe_load(CONFIG.read_text())
    for model in models:
        trainer = Trainer(
            load_train_config(
                {**values, "data": str(ROOT / values["data"]), "model": model, "out_dir": str(out / model)}
            )
        )
        trainer.model.train()
        for i, batch in enumerate(itertools.islice(trainer._loader(0), 3)):
            trainer.model.zero_grad()
            terms = trainer.model(batch.images, batch.targets)
            (sum(terms.values()) * batch.images.shape[0]).backward()
            norm = torch.nn.utils.clip_grad_norm_(trainer.model.parameters(), float("inf"))
            print(f"{model} batch {i}: pre-clip gradient norm {norm.item():.1f}", flush=True)


def batchnorm(checkpoints: list[Path]) -> None:
    spec = load_data_yaml(ROOT / "data" / "hazards_merged" / "data.yaml")
    dataset = DetectionDataset(list(spec.splits["val"])[:32], list(spec.names), img_size=320)
    images = collate_detection([dataset[i] for i in range(len(dataset))]).images
    for path in checkpoints:
        model, _ = load_model(path)
        for stats in ("batch", "running"):
            probe = copy.deepcopy(model).train()
            if stats == "running":
                for module in probe.modules():
                    if isinstance(module, nn.modules.batchnorm._BatchNorm):
                        module.eval()
            with torch.no_grad():
                maps = probe.head(probe.neck(probe.backbone(images)))
            for level, m in enumerate(maps):
                conf = m[..., 4].sigmoid()
                print(
                    f"{path}: {stats} statistics, level {level}: mean {conf.mean():.3f}, "
                    f"above 0.25 {(conf > 0.25).float().mean():.3f}, above 0.5 {(conf > 0.5).float().mean():.3f}, "
                    f"max {conf.max():.3f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("gradnorm", "bn"))
    parser.add_argument("targets", nargs="+", help="zoo models (gradnorm) or YOLOv3 checkpoints (bn)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "probe", help="gradnorm's throw-away run folders")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.probe == "gradnorm":
        gradnorm(args.targets, args.out)
    else:
        batchnorm([Path(t) for t in args.targets])


if __name__ == "__main__":
    main()
