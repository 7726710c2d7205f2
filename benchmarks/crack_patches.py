"""Figure: the crack step of seed 004 (issue #20) on real brick-masonry patches (``cracks/brickwork_cls``).

Protocol: 560 patches (280 crack, 280 no crack, 227 px RGB) area-resized to ``--size`` px; the
near-duplicate / file-number groups of :mod:`mineguard.terrain.crack_split` never straddle
train / val / test (60 / 20 / 20 %, stratified, buffer of 2 file numbers); every row is the mean ±
sd over ``--split-seeds`` splits. The networks train with ``train_classifier`` (validation
cross-entropy picks the epoch), each run capped by ``--time-limit`` seconds (it stops after the
epoch that passes the cap). The non-deep baseline is a logistic regression on 12 image
statistics (``terrain.crack_features``); it is also scored on a random patch split of the same train
and test sizes, to show how much a split that ignores the photographs flatters.
Speed: test patches per second of inference (median of 3 timed calls after one warm-up), one
torch thread. Each run's scores are cached in ``--cache`` (JSON lines), so an interrupted run
continues; ``--fresh`` starts over.

    PYTHONPATH=src .venv/bin/python benchmarks/crack_patches.py [--split-seeds 3] [--time-limit 40] [--size 32]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from machine_info import describe
from mineguard.evaluation.classification import classification_scores
from mineguard.terrain.classifiers import predict_proba
from mineguard.terrain.crack_features import patch_statistics
from mineguard.terrain.crack_split import CrackSplitConfig, file_number, split_patches
from mineguard.terrain.cracks import CrackFolderConfig, CrackPatches, load_crack_patches
from mineguard.terrain.train import TerrainTrainConfig, train_classifier
from results_file import write_section
from timing import median_ms

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MINEGUARD_SHARED_DATA", ROOT.parent / "shared" / "data")) / "cracks" / "brickwork_cls"
HEADING = "## Crack step: brick-masonry patches (cracks/brickwork_cls)"
NETWORKS = (
    ("openpit-dense (SGD)", "openpit-dense", "sgd"),
    ("openpit-dense (Adam)", "openpit-dense", "adam"),
    ("terrain-mobilenetv2 (SGD)", "terrain-mobilenetv2", "sgd"),
    ("terrain-resnet50 (SGD)", "terrain-resnet50", "sgd"),
)
BASELINE = "logistic regression on 12 image statistics"
RANDOM_SPLIT = BASELINE + ", random patch split (flatters)"
METRICS = ("precision", "recall", "overall_accuracy", "f1", "kappa")


def scores(y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    return classification_scores(y, (probs >= 0.5).astype(np.int64)).as_dict()


def run_network(patches: CrackPatches, split, model: str, optimizer: str, seed: int, args) -> dict:
    train, val, test = (patches.subset(split.index(s)) for s in ("train", "val", "test"))
    config = TerrainTrainConfig(
        model=model, optimizer=optimizer, epochs=args.epochs, time_limit_s=args.time_limit, seed=seed
    )
    trained = train_classifier(train.X, train.y, val.X, val.y, band_names=patches.band_names, config=config)
    probs = predict_proba(trained.model, test.X)
    ms = median_ms(lambda: predict_proba(trained.model, test.X), warmup=1, runs=3)
    return {**scores(test.y, probs), "epochs": trained.epochs_run, "patches_per_s": len(test) / (ms / 1000)}


def run_baseline(x_train, y_train, x_test, y_test) -> dict:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced"))
    model.fit(patch_statistics(x_train), y_train)
    probs = model.predict_proba(patch_statistics(x_test))[:, 1]
    ms = median_ms(lambda: model.predict_proba(patch_statistics(x_test)), warmup=1, runs=3)
    return {**scores(y_test, probs), "epochs": None, "patches_per_s": len(x_test) / (ms / 1000)}


def duplicate_findings(patches: CrackPatches, split) -> str:
    """What the near-duplicate check and the file numbers show, in one paragraph."""
    pairs = split.duplicate_pairs
    identical = sum(np.array_equal(patches.X[i], patches.X[j]) for i, j in pairs)
    numbers = np.array([file_number(n) for n in patches.names])
    gaps = [abs(numbers[i] - numbers[j]) for i, j in pairs]
    cross = sum(patches.y[i] != patches.y[j] for i, j in pairs)
    colour = patches.X.mean(axis=(2, 3)) * 255
    dist = np.linalg.norm(colour[:, None] - colour[None], axis=2)
    lag = np.abs(numbers[:, None] - numbers[None])
    same = patches.y[:, None] == patches.y[None]
    at = {k: np.median(dist[(lag == k) & same]) for k in (1, 8, 30)}
    cross_lag0 = np.median(dist[(lag == 0) & ~same])
    shared = len(set(numbers[patches.y == 1]) & set(numbers[patches.y == 0]))
    return (
        f"Near-duplicate check (16 x 16 area-downscaled grey, correlation >= 0.9): {len(pairs)} pairs, "
        f"{identical} of them pixel-identical after resizing, all {max(gaps, default=0)} or fewer file numbers apart, "
        f"{cross} across classes. File numbers: both folders share one numbering ({shared} numbers occur in "
        f"both); the mean-colour distance (0-255 RGB) between same-class patches is {at[1]:.0f} at a number lag "
        f"of 1, {at[8]:.0f} at 8, {at[30]:.0f} at 30 and {np.median(dist[lag > 50]):.0f} beyond 50; crack and "
        f"no-crack patches of the same number: {cross_lag0:.0f}. So consecutive numbers are cut from the same "
        "photographs (series), in both classes: the split groups blocks of 20 file numbers (both classes) "
        "together with every near-duplicate pair, and drops held-out patches within 2 numbers of another side."
    )


def seed_jobs(patches: CrackPatches, split, seed: int, args) -> dict[str, Callable[[], dict]]:
    """Every row's run on one split seed, not yet run (the cache may already hold some)."""
    jobs: dict[str, Callable[[], dict]] = {
        label: partial(run_network, patches, split, model, opt, seed, args) for label, model, opt in NETWORKS
    }
    tr, te = split.index("train"), split.index("test")
    jobs[BASELINE] = partial(run_baseline, patches.X[tr], patches.y[tr], patches.X[te], patches.y[te])
    sizes = {"train_size": len(tr), "test_size": len(te)}  # as many patches as the grouped split's sides
    xa, xb, ya, yb = train_test_split(patches.X, patches.y, **sizes, stratify=patches.y, random_state=seed)
    jobs[RANDOM_SPLIT] = partial(run_baseline, xa, ya, xb, yb)
    return jobs


def split_text(summaries: list[dict]) -> str:
    sides = ("train", "val", "test")
    per_seed = [
        f"seed {k}: "
        + " / ".join(f"{s[d]['crack']}+{s[d]['no_crack']} ({s[d]['groups']} groups)" for d in sides)
        + f", {s['dropped_by_buffer']} dropped by the buffer"
        for k, s in enumerate(summaries)
    ]
    return "Split (train / val / test, crack+no-crack): " + "; ".join(per_seed) + "."


def table(results: dict[str, list[dict]]) -> str:
    head = "| model | precision | recall | OA | F1 | kappa | epochs (cap) | patches/s |"
    lines = [head, "|" + "---|" * 8]
    for label, runs in results.items():
        cells = [f"{np.mean([r[m] for r in runs]):.3f} ± {np.std([r[m] for r in runs], ddof=1):.3f}" for m in METRICS]
        epochs = [r["epochs"] for r in runs if r["epochs"] is not None]
        epoch_cell = f"{np.mean(epochs):.1f}" if epochs else "—"
        speed = np.mean([r["patches_per_s"] for r in runs])
        lines.append(f"| {label} | {' | '.join(cells)} | {epoch_cell} | {speed:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--split-seeds", type=int, default=3)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--time-limit", type=float, default=40.0)
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "openpit.md")
    p.add_argument("--cache", type=Path, default=Path("/tmp/crack_patches_runs.jsonl"))
    p.add_argument("--fresh", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    patches = load_crack_patches(args.data, CrackFolderConfig(size=args.size))
    if args.fresh:
        args.cache.unlink(missing_ok=True)
    cache = {}
    if args.cache.is_file():
        cache = {json.loads(line)["key"]: json.loads(line) for line in args.cache.read_text().splitlines()}
    results: dict[str, list[dict]] = {label: [] for label, _, _ in NETWORKS} | {BASELINE: [], RANDOM_SPLIT: []}
    summaries, cached = [], 0
    for seed in range(args.split_seeds):
        split = split_patches(patches, CrackSplitConfig(seed=seed))
        summaries.append(split.summary(patches.y))
        for label, job in seed_jobs(patches, split, seed, args).items():
            key = json.dumps([label, seed, args.size, args.time_limit, args.epochs])
            cached += key in cache
            if key not in cache:
                cache[key] = {"key": key, **job()}
                with args.cache.open("a") as f:
                    f.write(json.dumps(cache[key]) + "\n")
                print(label, seed, {m: round(cache[key][m], 3) for m in METRICS}, flush=True)
            results[label].append(cache[key])
    command = shlex.join(["benchmarks/crack_patches.py", *(sys.argv[1:] if argv is None else argv)])
    counts = patches.counts()
    section = "\n".join(
        [
            HEADING,
            "",
            f"Command: `PYTHONPATH=src .venv/bin/python {command}`",
            f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Machine: {describe(1)}.",
            "",
            f"Data: `cracks/brickwork_cls`, {counts['crack']} crack + {counts['no_crack']} no-crack brick-masonry "
            "patches (227 px RGB, no licence stated: not in the repository), area-resized to "
            f"{args.size} px; {len(patches.skipped)} unreadable files skipped. {split_text(summaries)}",
            "",
            duplicate_findings(patches, split),
            "",
            f"Mean ± sd over {args.split_seeds} split seeds (the test side of each). Each network training run is "
            f"capped at {args.time_limit:g} s (it stops after the epoch that passes the cap; at most {args.epochs} "
            "epochs), from random initialisation, one torch thread on a shared, loaded machine — the networks are "
            "under-trained by design and the epoch column says how far each got. "
            f"{cached} of {sum(map(len, results.values()))} runs were read from `--cache` (an earlier, interrupted "
            "or partial run of this script with the same settings); the date and load are this run's.",
            "",
            table(results),
        ]
    )
    write_section(args.out, section)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
