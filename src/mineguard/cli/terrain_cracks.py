"""``mineguard terrain cracks``: the crack step of seed 004 on a folder of crack / no-crack patches.

Reads ``--data`` (``Positive/`` and ``Negative/`` image folders, e.g. ``cracks/brickwork_cls``),
groups near-duplicates and patches of one photograph (file-number blocks) so that no group is on
two sides (``terrain.crack_split``), trains the chosen ``task="terrain"`` network on 3-band RGB
patches with the shared training loop, writes ``best.pt`` into ``--out`` and prints the test
precision, recall, overall accuracy, F1 and kappa as one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mineguard.cli.terrain_train import add_training_options, train_config


def cmd_cracks(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mineguard.evaluation.classification import classification_scores
    from mineguard.models.checkpoint import save_checkpoint
    from mineguard.terrain.classifiers import predict_proba
    from mineguard.terrain.crack_split import CrackSplitConfig, split_patches
    from mineguard.terrain.cracks import CrackFolderConfig, load_crack_patches
    from mineguard.terrain.train import train_classifier

    folders = CrackFolderConfig(positive=args.positive, negative=args.negative, size=args.size)
    block = args.sequence_block or None
    split_config = CrackSplitConfig(seed=args.split_seed, sequence_block=block, buffer=args.buffer)
    config = train_config(args)
    patches = load_crack_patches(args.data, folders)
    split = split_patches(patches, split_config)
    train, val, test = (patches.subset(split.index(side)) for side in ("train", "val", "test"))
    args.out.mkdir(parents=True, exist_ok=True)
    trained = train_classifier(
        train.X, train.y, val.X, val.y, band_names=patches.band_names, config=config, out_dir=args.out, progress=True
    )
    payload = {**trained.payload(), "crack_folders": asdict(folders), "crack_split": asdict(split_config)}
    save_checkpoint(args.out / "best.pt", payload)
    probs = predict_proba(trained.model, test.X)
    scores = classification_scores(test.y, (probs >= config.threshold).astype("int64")).as_dict()
    summary = {**split.summary(patches.y), "skipped_files": list(patches.skipped)}
    print(
        json.dumps(
            {
                "weights": str(args.out / "best.pt"),
                "epochs": trained.epochs_run,
                "best_epoch": trained.best_epoch,
                "seconds": round(trained.seconds, 1),
                "val": trained.val_scores,
                "test": scores,
                "split": summary,
            }
        )
    )
    return 0


def add_crack_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("cracks", help="train and score a crack / no-crack patch classifier (folder per class)")
    p.add_argument("--data", type=Path, required=True, help="folder with Positive/ (crack) and Negative/ images")
    p.add_argument("--out", type=Path, required=True, help="run folder for best.pt / last.pt")
    p.add_argument("--positive", default="Positive", help="sub-folder of crack patches (default Positive)")
    p.add_argument("--negative", default="Negative", help="sub-folder of no-crack patches (default Negative)")
    p.add_argument("--size", type=int, default=64, help="patch side after area resizing, pixels (default 64)")
    add_training_options(p)
    p.add_argument("--split-seed", type=int, default=0, help="which patch groups are held out")
    p.add_argument(
        "--sequence-block", type=int, default=20, help="file numbers per photograph group (0: near-duplicates only)"
    )
    p.add_argument("--buffer", type=int, default=2, help="drop held-out patches this near another side (file numbers)")
    p.set_defaults(func=cmd_cracks)
