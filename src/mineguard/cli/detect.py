"""``mineguard detect info|train|val|predict|export|ablate|kfold`` — the seed 001 detector."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
import yaml

from mineguard.cli import detect_demo
from mineguard.models import list_models

TRAIN_FLAGS = {
    "epochs": int,
    "img_size": int,
    "batch_size": int,
    "lr0": float,
    "device": str,
    "workers": int,
    "seed": int,
    "warmup_epochs": float,
    "max_train_images": int,
    "nominal_batch": int,
}


def input_shape(text: str) -> tuple[int, int]:
    """``"192x320"`` -> (192, 320): height x width, each a positive multiple of 32."""
    height, sep, width = text.lower().partition("x")
    if not sep or not height.isdigit() or not width.isdigit() or int(height) % 32 or int(width) % 32:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give HEIGHTxWIDTH in pixels, each a multiple of 32 (e.g. 192x320 for a 16:9 camera at 320)"
        )
    if not (32 <= int(height) <= 4096 and 32 <= int(width) <= 4096):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 32..4096 pixels")
    return int(height), int(width)


def register(groups: argparse._SubParsersAction) -> None:
    parser = groups.add_parser("detect", help="train, evaluate and run the miner/PPE detector (seed 001)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    detect_demo.register(sub)

    p = sub.add_parser("info", help="print parameters and GFLOPs of a model")
    p.add_argument("model", help=f"one of: {', '.join(list_models('detect'))}")
    p.add_argument("--img-size", type=int, default=640)
    p.add_argument("--num-classes", type=int, default=80, help="80 gives the COCO figures papers publish")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="builder keyword argument")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train a detector from scratch (or --resume a run)")
    _add_train_args(p)
    p.add_argument("--resume", type=Path, help="a run's last.pt: continue where it stopped (--epochs extends it)")
    p.add_argument("--eval-split", default="test", help="split scored with best.pt at the end")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("val", help="evaluate weights on a split")
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--split", default="val")
    p.add_argument("--img-size", type=int)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, help="where metrics JSON and plots go (default: beside weights)")
    p.add_argument("--threads", type=int)
    p.set_defaults(func=cmd_val)

    p = sub.add_parser("predict", help="detect in images (a file or a folder)")
    p.add_argument("source", type=Path)
    p.add_argument("--weights", type=Path, required=True, help="a .pt checkpoint or its .onnx export")
    p.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto", help="auto: onnxruntime for .onnx")
    p.add_argument("--threads", type=int, help="onnxruntime intra-op (or torch) CPU threads")
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--img-size", type=int)
    p.add_argument("--device", default="auto", help="torch backend only")
    p.add_argument("--out", type=Path, default=Path("runs/predict"))
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", help="export a checkpoint to ONNX (end-to-end, NMS-free) for onnxruntime")
    p.add_argument("--weights", type=Path, required=True, help="a .pt checkpoint of a training run")
    p.add_argument("--out", type=Path, help="the .onnx file (default: beside the weights)")
    p.add_argument("--img-size", type=int, help="input size (default: the training size)")
    p.add_argument(
        "--shape",
        type=input_shape,
        metavar="HxW",
        help="a rectangular input for the cameras' aspect, e.g. 192x320 for 16:9 at 320 (fewer pixels to run)",
    )
    p.add_argument("--dynamic-batch", action="store_true", help="a batch dimension of any size (default: 1)")
    p.add_argument("--opset", type=int, default=19, help="ONNX opset (DyHead's DeformConv needs 19+)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("ablate", help="seed 001 Table 6: baseline, +CA, +CA+DyHead, +CA+DyHead+EIoU")
    _add_train_args(p, with_model=False)
    p.add_argument("--rows", default="baseline,ca,ca_dyhead,ca_dyhead_eiou", help="comma-separated subset of the rows")
    p.add_argument("--eval-split", default="test")
    p.set_defaults(func=cmd_ablate)

    p = sub.add_parser("kfold", help="k-fold cross-validation of one model on a dataset's train+val images")
    _add_train_args(p)
    p.add_argument("--k", type=int, default=5)
    p.set_defaults(func=cmd_kfold)


def _add_train_args(p: argparse.ArgumentParser, *, with_model: bool = True) -> None:
    p.add_argument("--data", type=Path, help="data.yaml of a YOLO-format dataset")
    if with_model:
        p.add_argument("--model", default=None, help=f"one of: {', '.join(list_models('detect'))}")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="model builder argument")
    p.add_argument("--config", type=Path, help="YAML file of training settings (TrainConfig fields)")
    p.add_argument("--out", type=Path, help="run folder")
    for flag, kind in TRAIN_FLAGS.items():
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=kind)
    p.add_argument("--threads", type=int, help="torch CPU threads")


def _parse_sets(items: list[str]) -> dict[str, Any]:
    values = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set '{item}': expected KEY=VALUE, e.g. --set dyhead_depth=2")
        key, raw = item.split("=", 1)
        values[key.strip()] = yaml.safe_load(raw)
    return values


def _train_values(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if args.config is not None:
        if not args.config.is_file():
            raise FileNotFoundError(f"{args.config}: no such config file")
        loaded = yaml.safe_load(args.config.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{args.config}: expected a mapping of TrainConfig fields")
        values |= loaded
    for flag in TRAIN_FLAGS:
        if getattr(args, flag, None) is not None:
            values[flag] = getattr(args, flag)
    if args.data is not None:
        values["data"] = str(args.data)
    if args.out is not None:
        values["out_dir"] = str(args.out)
    if getattr(args, "model", None):
        values["model"] = args.model
    if getattr(args, "set", None):
        values["model_kwargs"] = {**values.get("model_kwargs", {}), **_parse_sets(args.set)}
    if "data" not in values:
        raise ValueError("no dataset: pass --data path/to/data.yaml (or 'data:' in --config)")
    return values


def _threads(args: argparse.Namespace) -> None:
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)


def cmd_info(args: argparse.Namespace) -> int:
    from mineguard.models import get_model
    from mineguard.models.profile import profile_model

    model = get_model(args.model, num_classes=args.num_classes, **_parse_sets(args.set))
    profile = profile_model(model, img_size=args.img_size)
    if args.json:
        print(json.dumps({"model": args.model, **profile.to_dict()}))
        return 0
    training_only = profile.params_total - profile.params_inference
    branch = f" ({profile.params_total / 1e6:.3f} M with the one-to-many training branch)" if training_only else ""
    print(
        f"{args.model}: {profile.params_inference / 1e6:.3f} M parameters at inference{branch}, "
        f"{profile.gflops:.2f} GFLOPs at {args.img_size} px, {profile.size_mb:.2f} MB fp32, "
        f"{args.num_classes} classes"
    )
    return 0


def _train_and_report(values: dict[str, Any], eval_split: str, resume: Path | None = None) -> dict[str, Any]:
    from mineguard.engine.config import load_train_config
    from mineguard.engine.report import evaluate_checkpoint
    from mineguard.engine.trainer import Trainer, resume_config

    if resume is not None:
        # A run continues in the folder its last.pt is in (it may have been moved or copied).
        update = {"out_dir": str(resume.parent)} | ({"epochs": values["epochs"]} if values.get("epochs") else {})
        config = resume_config(resume).model_copy(update=update)
    else:
        config = load_train_config(values, source="training settings")
    summary = Trainer(config, resume_from=resume).fit()
    print(f"trained {summary.epochs_run} epochs; best epoch {summary.best_epoch} -> {summary.best_checkpoint}")
    report = evaluate_checkpoint(
        summary.best_checkpoint, config.data, split=eval_split, out_dir=summary.run_dir, device=config.device
    )
    print(report.result.metrics.summary())
    print(f"metrics: {report.metrics_path}\nplots: {', '.join(str(p) for p in report.plots)}")
    return report.summary


def cmd_train(args: argparse.Namespace) -> int:
    _threads(args)
    if args.resume is not None:
        _train_and_report({"epochs": args.epochs}, args.eval_split, resume=args.resume)
        return 0
    _train_and_report(_train_values(args), args.eval_split)
    return 0


def cmd_val(args: argparse.Namespace) -> int:
    from mineguard.engine.report import evaluate_checkpoint

    _threads(args)
    report = evaluate_checkpoint(
        args.weights,
        args.data,
        split=args.split,
        out_dir=args.out or args.weights.parent,
        img_size=args.img_size,
        device=args.device,
    )
    print(report.result.metrics.summary())
    print(f"{report.summary['ms_per_image']} ms/image on {report.summary['device']}")
    print(f"metrics: {report.metrics_path}\nplots: {', '.join(str(p) for p in report.plots)}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from mineguard.runtime.predictor import annotate, list_images, load_predictor

    predictor = load_predictor(
        args.weights,
        backend=args.backend,
        threads=args.threads,
        device=args.device,
        img_size=args.img_size,
        conf=args.conf,
    )
    images = list_images(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    lines = []
    for path in images:
        dets = predictor.predict_file(path)
        annotate(path, dets, predictor.names, args.out / path.name)
        lines.append(
            json.dumps(
                {
                    "image": str(path),
                    "detections": [
                        {
                            "class": predictor.names[c],
                            "confidence": round(float(s), 4),
                            "xyxy": [round(float(v), 1) for v in box],
                        }
                        for box, c, s in zip(dets.xyxy, dets.class_id, dets.confidence, strict=True)
                    ],
                }
            )
        )
        print(
            f"{path.name}: "
            + (
                ", ".join(f"{predictor.names[c]} {s:.2f}" for c, s in zip(dets.class_id, dets.confidence, strict=True))
                or "nothing"
            )
        )
    (args.out / "predictions.jsonl").write_text("\n".join(lines) + "\n")
    print(f"annotated images and predictions.jsonl in {args.out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from mineguard.runtime.export import export_onnx
    from mineguard.runtime.onnx_backend import read_metadata

    out = export_onnx(
        args.weights,
        args.out or args.weights.with_suffix(".onnx"),
        img_size=args.shape or args.img_size,
        dynamic_batch=args.dynamic_batch,
        opset=args.opset,
    )
    meta = read_metadata(out)
    batch = "dynamic batch" if meta["dynamic_batch"] else "batch 1"
    height, width = meta["input_hw"]
    print(
        f"{meta['model_name']} -> {out} ({out.stat().st_size / 1e6:.2f} MB, input {height}x{width} (HxW), {batch}, "
        f"opset {args.opset}, classes: {', '.join(meta['names'])})"
    )
    return 0


def cmd_ablate(args: argparse.Namespace) -> int:
    from mineguard.engine.ablation import ABLATION_ROWS, run_ablation

    _threads(args)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ABLATION_ROWS]
    if unknown:
        raise ValueError(f"--rows: unknown {unknown} — choose from {', '.join(ABLATION_ROWS)}")
    values = _train_values(args)
    out = Path(values.pop("out_dir", "runs/ablate"))
    table = run_ablation(values, {r: ABLATION_ROWS[r] for r in rows}, out, eval_split=args.eval_split)
    print(table)
    return 0


def cmd_kfold(args: argparse.Namespace) -> int:
    from mineguard.engine.ablation import run_kfold

    _threads(args)
    values = _train_values(args)
    out = Path(values.pop("out_dir", "runs/kfold"))
    print(run_kfold(values, out, k=args.k))
    return 0
