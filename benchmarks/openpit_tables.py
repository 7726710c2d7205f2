"""Figures: seed 004 Tables 3-5 on the real Strzegom Sentinel-2 scenes — slice size, optimiser, other networks.

Protocol (issue #20): slices cut from five dates of one 4 x 4 km granite-quarry scene, labelled by
the land-cover mask (open pit when >= 50 % of a slice's labelled pixels are class 10, not open pit
when none is, mixed slices dropped); spatial blocks grouped by connected quarry so one quarry never
sits on both sides, a buffer between sides, training on the three earlier dates and testing on
the held-out blocks of the two latest. Every row is the mean (and spread) over ``--split-seeds``
splits, i.e. over which quarries are held out; the validation slices (training blocks and dates)
pick the epoch and, for Tables 4 and 5, the slice size; the test slices choose nothing. One
flattering row per table shows what a random slice split would have claimed.

Each run's scores are cached in ``--cache`` (JSON lines), so an interrupted run continues where it
stopped; ``--fresh`` starts over.

    .venv/bin/python benchmarks/openpit_tables.py [--split-seeds 3] [--time-limit 90] [--out docs/results/openpit.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shlex
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from machine_info import describe
from mineguard.evaluation.classification import classification_scores
from mineguard.terrain.classifiers import predict_proba, torch_classifier
from mineguard.terrain.dataset import build_split, load_strzegom
from mineguard.terrain.forest import QuarryForest
from mineguard.terrain.mapping import probability_map
from mineguard.terrain.network import build_classifier
from mineguard.terrain.raster import BandConfig
from mineguard.terrain.slices import SliceConfig
from mineguard.terrain.split import SplitConfig, SplitData
from mineguard.terrain.train import TerrainTrainConfig, train_classifier
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "satellite" / "s2_quarry_strzegom"
STRIDES = {3: 3, 6: 3, 9: 3, 18: 6, 36: 12}  # overlapping slices within one side: enough slices at 18 and 36 px
BASELINES = (
    "terrain-alexnet",
    "terrain-vgg16",
    "terrain-vgg19",
    "terrain-googlenet",
    "terrain-resnet50",
    "terrain-densenet121",
    "terrain-mobilenetv2",
)
ABLATION = {
    "no SE": {"se": False},
    "no CBAM": {"cbam": False},
    "no PAN": {"pan": False},
    "no RFB": {"rfb": False},
    "plain dense block (none of the four)": {"se": False, "cbam": False, "pan": False, "rfb": False},
}
METRICS = ("precision", "recall", "overall_accuracy", "f1", "kappa")


@dataclass(frozen=True)
class Run:
    table: str
    label: str
    model: str
    size: int
    optimizer: str = "sgd"
    kwargs: tuple[tuple[str, object], ...] = ()
    protocol: str = "spatial_temporal"

    def key(self, seed: int) -> str:
        return json.dumps([self.model, self.size, self.optimizer, list(self.kwargs), self.protocol, seed])


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scenes = load_strzegom(args.data, BandConfig())
        self.cache: dict[str, dict] = {}
        if args.cache.is_file() and not args.fresh:
            for line in args.cache.read_text().splitlines():
                row = json.loads(line)
                self.cache[row["key"]] = row
        self._splits: dict[tuple, SplitData] = {}

    def split(self, size: int, seed: int, protocol: str) -> SplitData:
        key = (size, seed, protocol)
        if key not in self._splits:
            config = SliceConfig(size=size, stride=STRIDES.get(size, max(1, size // 3)))
            self._splits[key] = build_split(self.scenes, config, SplitConfig(seed=seed), protocol=protocol)
        return self._splits[key]

    def run(self, run: Run, seed: int) -> dict:
        key = run.key(seed)
        if key in self.cache:
            return self.cache[key]
        data = self.split(run.size, seed, run.protocol)
        started = time.perf_counter()
        if run.model == "random-forest":
            forest = QuarryForest(BandConfig(), seed=seed, n_jobs=self.args.threads).fit(data.train.X, data.train.y)
            probs, val_probs, epochs, params = forest.predict_proba(data.test.X), forest.predict_proba(data.val.X), 0, 0
        else:
            config = TerrainTrainConfig(
                model=run.model,
                model_kwargs=dict(run.kwargs),
                optimizer=run.optimizer,
                epochs=self.args.epochs,
                patience=self.args.patience,
                batch_size=self.args.batch,
                time_limit_s=self.args.time_limit,
                seed=seed,
            )
            trained = train_classifier(
                data.train.X, data.train.y, data.val.X, data.val.y, band_names=tuple(data.band_names), config=config
            )
            probs, val_probs = predict_proba(trained.model, data.test.X), predict_proba(trained.model, data.val.X)
            epochs, params = trained.epochs_run, sum(p.numel() for p in trained.model.net.parameters())
        seconds = time.perf_counter() - started
        test = classification_scores(data.test.y, (probs >= 0.5).astype(np.int64)).as_dict()
        val = classification_scores(data.val.y, (val_probs >= 0.5).astype(np.int64)).as_dict()
        p_true = np.clip(np.where(data.val.y == 1, val_probs, 1.0 - val_probs), 1e-7, 1.0)
        row = {
            "key": key,
            "test": test,
            "val_kappa": val["kappa"],
            "val_loss": float(-np.log(p_true).mean()),
            "epochs": epochs,
            "params": params,
            "train_s": round(seconds, 1),
            "n_train": len(data.train),
            "n_test": len(data.test),
            "test_positive": data.test.n_positive,
        }
        self.cache[key] = row
        with self.args.cache.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"{run.table} {run.label} {run.size}px seed {seed}: kappa {test['kappa']} ({seconds:.0f} s)", flush=True)
        return row

    def rows(self, run: Run) -> list[dict]:
        return [self.run(run, seed) for seed in range(self.args.split_seeds)]


def mean_sd(values: list[float | None]) -> str:
    finite = [v for v in values if v is not None and not math.isnan(v)]
    if not finite:
        return "n/a"
    text = f"{np.mean(finite):.3f}"
    if len(finite) > 1:
        text += f" ± {np.std(finite, ddof=1):.3f}"
    return text + ("" if len(finite) == len(values) else f" ({len(finite)}/{len(values)})")


def table(bench: Bench, title: str, runs: list[tuple[Run, list[dict]]], first: str) -> list[str]:
    head = "| P | R | OA | F1 | kappa | val loss | slices train / test (+) | epochs | s / run | params | km² / s |"
    lines = [f"**{title}**", "", f"| {first} {head}", "|---" * 12 + "|"]  # no heading: one results section
    for run, rows in runs:
        speed = f"{km2_per_s(bench, run.model, run.size, run.kwargs):.1f}"
        params = f"{rows[0]['params'] / 1e6:.2f} M" if rows[0]["params"] else "-"
        cells = [mean_sd([r["test"][m] for r in rows]) for m in METRICS]
        counts = f"{rows[0]['n_train']} / {rows[0]['n_test']} ({rows[0]['test_positive']})"
        epochs = "-" if rows[0]["epochs"] == 0 else f"{np.mean([r['epochs'] for r in rows]):.0f}"
        seconds = f"{np.mean([r['train_s'] for r in rows]):.0f}"
        val = mean_sd([r["val_loss"] for r in rows])
        lines.append(
            f"| {run.label} | {' | '.join(cells)} | {val} | {counts} | {epochs} | {seconds} | {params} | {speed} |"
        )
    return [*lines, ""]


def mean_val_loss(rows: list[dict]) -> float:
    """Validation cross-entropy, mean over split seeds (kappa on the validation slices saturates at 1)."""
    return float(np.mean([r["val_loss"] for r in rows]))


def km2_per_s(bench: Bench, model: str, size: int, kwargs: tuple = ()) -> float:
    """Mapping speed: a 120 x 120 px (1.44 km²) corner of the latest scene by sliding window (stride a
    third of the slice), timed once per architecture. The weights are untrained (cost does not depend on them);
    the random forest is fitted on the first split so that its trees have their real depth."""
    key = json.dumps(["speed", model, size, list(kwargs)])
    if key not in bench.cache:
        full = bench.scenes[-1][0]
        scene = replace(full, bands=full.bands[:, :120, :120], valid=full.valid[:120, :120])
        if model == "random-forest":
            data = bench.split(size, 0, "spatial_temporal")
            forest = QuarryForest(BandConfig(), seed=0, n_jobs=bench.args.threads).fit(data.train.X, data.train.y)
            predict = forest.predict_proba
        else:
            net = build_classifier(
                model, {"in_channels": 10, "num_classes": 2, **dict(kwargs)}, torch.zeros(10), torch.ones(10)
            )
            predict = torch_classifier(net, device="cpu")
        speed = probability_map(scene, predict, size).km2_per_s
        bench.cache[key] = {"key": key, "km2_per_s": speed}
        with bench.args.cache.open("a") as f:
            f.write(json.dumps(bench.cache[key]) + "\n")
    return bench.cache[key]["km2_per_s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split-seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=8)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument(
        "--time-limit", type=float, default=90.0, help="seconds per training run (stops after the epoch)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tables", default="3,4,5", help="which tables to run, e.g. 3 or 3,5")
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "openpit_tables.jsonl")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "openpit.md")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"error: {args.data} not found — the Strzegom scenes live in ../shared/data/satellite", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    if args.fresh and args.cache.is_file():
        args.cache.unlink()
    bench = Bench(args)
    wanted = set(args.tables.split(","))
    started = time.perf_counter()
    sections: list[str] = []

    sizes = [Run("3", f"{s} x {s} (stride {STRIDES[s]})", "openpit-dense", s) for s in STRIDES]
    size_rows = [(run, bench.rows(run)) for run in sizes]
    best = min(size_rows, key=lambda pair: mean_val_loss(pair[1]))[0].size
    if "3" in wanted:
        forest = [Run("3", f"random forest, {s} x {s}", "random-forest", s) for s in STRIDES]
        flat = Run("3", f"{best} x {best}, RANDOM slice split (flattering)", "openpit-dense", best, protocol="random")
        sections += table(bench, "Table 3 — slice size (our network, SGD)", size_rows, "slice size")
        sections += table(
            bench,
            "Table 3b — random forest on band statistics and indices",
            [(r, bench.rows(r)) for r in forest],
            "slice size",
        )
        sections += table(bench, "Table 3c — the same network on a random split", [(flat, bench.rows(flat))], "split")
    if "4" in wanted:
        runs = [Run("4", f"ours + {o}", "openpit-dense", best, optimizer=o) for o in ("sgd", "adam", "rmsprop")]
        sections += table(
            bench, f"Table 4 — optimiser ({best} x {best} px)", [(r, bench.rows(r)) for r in runs], "optimiser"
        )
    if "5" in wanted:
        runs = [Run("5", name.removeprefix("terrain-"), name, best) for name in BASELINES]
        runs += [Run("5", "random forest (indices + band statistics)", "random-forest", best)]
        runs += [Run("5", "our network", "openpit-dense", best)]
        runs += [
            Run("5", f"ours, {label}", "openpit-dense", best, kwargs=tuple(kw.items()))
            for label, kw in ABLATION.items()
        ]
        sections += table(
            bench,
            f"Table 5 — other networks and the ablation ({best} x {best} px, SGD)",
            [(r, bench.rows(r)) for r in runs],
            "network",
        )

    command = "PYTHONPATH=src .venv/bin/python benchmarks/" + " ".join(
        shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]
    )
    header = [
        "## Open-pit slice classification on Strzegom (seed 004 Tables 3-5)",
        "",
        f"- command: `{command}`",
        f"- date: {dt.date.today().isoformat()}; wall time {time.perf_counter() - started:.0f} s "
        "(runs read from the cache are not re-timed)",
        f"- machine: {describe(args.threads)}",
        f"- data: `satellite/s2_quarry_strzegom`, {len(bench.scenes)} dates, honest split: spatial blocks x dates, "
        f"{args.split_seeds} split seeds (mean ± sd over them); "
        f"slice size for Tables 4-5 chosen by validation cross-entropy: {best} px",
        f"- training: up to {args.epochs} epochs, early stop after {args.patience} without a lower validation "
        f"cross-entropy, at most {args.time_limit:g} s per run, batch {args.batch}; threshold 0.5",
        "",
    ]
    write_section(args.out, "\n".join(header + sections))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
