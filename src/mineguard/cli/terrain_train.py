"""``mineguard terrain train``, ``terrain eval`` and ``terrain export``: the open-pit slice classifier of seed 004.

``train`` cuts the scenes of a folder (``img_train/`` + ``training_masks/``, e.g. the Strzegom
Sentinel-2 set) into slices, splits them by spatial blocks and dates (the honest hold-out: test
blocks on the latest dates), trains and writes ``best.pt`` and ``last.pt`` into ``--out``, then
prints the hold-out scores as one JSON line. ``eval`` scores a ``best.pt`` on the same hold-out,
at the paper's probability thresholds too; ``export`` writes it as ONNX for ``terrain map``. The
split is rebuilt from the seed and settings saved with the weights, so ``eval`` always scores the
slices the run never saw.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PAPER_THRESHOLDS = (0.5, 0.7, 0.8, 0.9)


def _split(args: argparse.Namespace, slice_size: int, saved: dict):
    from mineguard.terrain.dataset import build_split, load_strzegom
    from mineguard.terrain.raster import BandConfig
    from mineguard.terrain.slices import SliceConfig
    from mineguard.terrain.split import SplitConfig

    scenes = load_strzegom(args.data, BandConfig())
    split = SplitConfig(block_size=int(saved["block_size"]), buffer=int(saved["buffer"]), seed=int(saved["split_seed"]))
    return build_split(scenes, SliceConfig(size=slice_size, stride=saved["stride"]), split)


def _scores(y, probs, thresholds) -> dict[str, dict]:
    from mineguard.evaluation.classification import classification_scores

    return {f"{t:g}": classification_scores(y, (probs >= t).astype("int64")).as_dict() for t in thresholds}


def train_config(args: argparse.Namespace):
    """The :class:`TerrainTrainConfig` of the options :func:`add_training_options` adds."""
    from mineguard.terrain.train import TerrainTrainConfig

    kwargs = json.loads(args.model_kwargs) if args.model_kwargs else {}
    if not isinstance(kwargs, dict):
        raise ValueError(f"--model-kwargs must be a JSON object, got {args.model_kwargs!r}")
    return TerrainTrainConfig(
        model=args.model,
        model_kwargs=kwargs,
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch,
        patience=args.patience,
        time_limit_s=args.time_limit,
        seed=args.seed,
    )


def add_training_options(p: argparse.ArgumentParser) -> None:
    """The model and optimiser options every terrain training command takes."""
    p.add_argument("--model", default="openpit-dense", help="a model of task 'terrain' (default openpit-dense)")
    p.add_argument("--model-kwargs", default="", help="builder arguments as JSON, e.g. '{\"cbam\": false}'")
    p.add_argument("--optimizer", choices=("sgd", "adam", "rmsprop"), default="sgd")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--patience", type=int, default=8)
    p.add_argument("--time-limit", type=float, default=None, help="stop after the epoch that passes this many s")
    p.add_argument("--seed", type=int, default=0)


def cmd_train(args: argparse.Namespace) -> int:
    from mineguard.models.checkpoint import save_checkpoint
    from mineguard.terrain.classifiers import predict_proba
    from mineguard.terrain.train import train_classifier

    config = train_config(args)
    split = {"stride": args.stride, "split_seed": args.split_seed, "block_size": args.block_size, "buffer": args.buffer}
    data = _split(args, args.slice, split)
    trained = train_classifier(
        data.train.X,
        data.train.y,
        data.val.X,
        data.val.y,
        band_names=tuple(data.band_names),
        config=config,
        out_dir=args.out,
        progress=True,
    )
    payload = {**trained.payload(), "split": split}
    save_checkpoint(args.out / "best.pt", payload)
    test = _scores(data.test.y, predict_proba(trained.model, data.test.X), (config.threshold,))
    print(
        json.dumps(
            {
                "weights": str(args.out / "best.pt"),
                "epochs": trained.epochs_run,
                "best_epoch": trained.best_epoch,
                "seconds": round(trained.seconds, 1),
                "val": trained.val_scores,
                "test": test[f"{config.threshold:g}"],
                "split": data.summary(),
            }
        )
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from mineguard.terrain.classifiers import predict_proba
    from mineguard.terrain.network import load_network

    loaded = load_network(args.weights)
    saved = loaded.checkpoint.get("split")
    if not isinstance(saved, dict) or not {"stride", "split_seed", "block_size", "buffer"} <= saved.keys():
        raise ValueError(
            f"{args.weights}: has no split settings — pass the best.pt written by `mineguard terrain train`"
        )
    data = _split(args, loaded.slice_size, saved)
    if tuple(data.band_names) != loaded.band_names:
        raise ValueError(f"{args.weights}: trained on bands {list(loaded.band_names)}, the data has {data.band_names}")
    probs = predict_proba(loaded.model, data.test.X)
    print(
        json.dumps(
            {
                "weights": str(args.weights),
                "slice_size": loaded.slice_size,
                "test": _scores(data.test.y, probs, PAPER_THRESHOLDS),
                "split": data.summary(),
            }
        )
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from mineguard.terrain.network import export_onnx, load_network

    loaded = load_network(args.weights)
    out = export_onnx(loaded, args.out)
    print(json.dumps({"onnx": str(out), "slice_size": loaded.slice_size, "bands": list(loaded.band_names)}))
    return 0


def add_train_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("train", help="train the open-pit slice classifier on a folder of scenes + masks")
    p.add_argument("--data", type=Path, required=True, help="folder with img_train/ and training_masks/")
    p.add_argument("--out", type=Path, required=True, help="run folder for best.pt / last.pt")
    add_training_options(p)
    p.add_argument("--slice", type=int, default=18, help="slice size in pixels (paper: 3, 6, 9, 18, 36)")
    p.add_argument("--stride", type=int, default=None, help="slice stride in pixels (default: the slice size)")
    p.add_argument("--split-seed", type=int, default=0, help="which spatial blocks are held out")
    p.add_argument("--block-size", type=int, default=100, help="spatial block side in pixels (default 100 = 1 km)")
    p.add_argument("--buffer", type=int, default=9, help="pixels kept clear between train and test blocks")
    p.set_defaults(func=cmd_train)
    p = commands.add_parser("eval", help="score a trained classifier on the spatial-and-temporal hold-out")
    p.add_argument("--data", type=Path, required=True, help="folder with img_train/ and training_masks/")
    p.add_argument("--weights", type=Path, required=True, help="best.pt of `mineguard terrain train`")
    p.set_defaults(func=cmd_eval)
    p = commands.add_parser("export", help="a trained classifier as ONNX for `terrain map` on CPU (onnxruntime)")
    p.add_argument("--weights", type=Path, required=True, help="best.pt of `mineguard terrain train`")
    p.add_argument("--out", type=Path, required=True, help="the .onnx file to write")
    p.set_defaults(func=cmd_export)
