"""Figure: whole-scene open-pit maps of Strzegom against the land-cover masks, per date (issue #20, seed 004 §5).

The network is trained once on the honest split (training blocks x the three earlier dates, the
epoch picked on validation blocks), then every date's scene is mapped by sliding window (stride a
third of the slice, each pixel the mean of the windows covering it). Scored per pixel on the
labelled pixels of the held-out TEST blocks only (mask class 10 = open pit, any other class = not;
unlabelled pixels ignored), at the paper's thresholds 0.7 / 0.8 / 0.9, with the disturbed area in
hectares of the whole scene beside the labelled quarry area. The two latest dates are also
held-out in time; the earlier ones show the same blocks on the training dates.

    PYTHONPATH=src .venv/bin/python benchmarks/openpit_maps.py [--slice 18 --stride 6] [--out docs/results/openpit.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from machine_info import describe
from mineguard.evaluation.classification import classification_scores
from mineguard.terrain.classifiers import torch_classifier
from mineguard.terrain.dataset import build_split, load_strzegom
from mineguard.terrain.mapping import PAPER_THRESHOLDS, area_ha, disturbed, probability_map
from mineguard.terrain.raster import BandConfig
from mineguard.terrain.slices import SliceConfig
from mineguard.terrain.split import TEST, SplitConfig
from mineguard.terrain.train import TerrainTrainConfig, train_classifier
from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "satellite" / "s2_quarry_strzegom"
QUARRY = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--slice", type=int, default=18)
    parser.add_argument("--stride", type=int, default=6)
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--time-limit", type=float, default=180.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "openpit.md")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"error: {args.data} not found — the Strzegom scenes live in ../shared/data/satellite", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    scenes = load_strzegom(args.data, BandConfig())
    data = build_split(scenes, SliceConfig(size=args.slice, stride=args.stride), SplitConfig(seed=args.split_seed))
    config = TerrainTrainConfig(epochs=args.epochs, time_limit_s=args.time_limit, batch_size=128)
    bands = tuple(data.band_names)
    trained = train_classifier(data.train.X, data.train.y, data.val.X, data.val.y, band_names=bands, config=config)
    predict = torch_classifier(trained.model, device="cpu")
    test_pixels = data.blocks.pixel_sides() == TEST
    rows = []
    for scene, mask in scenes:
        started = time.perf_counter()
        pmap = probability_map(scene, predict, args.slice, max(1, args.slice // 3), batch=512)
        seconds = time.perf_counter() - started
        labelled = test_pixels & (mask > 0) & np.isfinite(pmap.probs)
        truth = (mask[labelled] == QUARRY).astype(np.int64)
        cells = []
        for threshold in PAPER_THRESHOLDS:
            scores = classification_scores(truth, disturbed(pmap.probs, threshold)[labelled].astype(np.int64))
            cells.append(f"{scores.kappa:.3f} / {scores.f1:.3f}")
        areas = " / ".join(f"{area_ha(disturbed(pmap.probs, t), pmap):.1f}" for t in PAPER_THRESHOLDS)
        held = "test" if scene.taken in data.test_dates else "train"
        rows.append(
            f"| {scene.taken} ({held} date) | {int(labelled.sum())} ({int(truth.sum())}) | {' | '.join(cells)} "
            f"| {area_ha(mask == QUARRY, scene):.1f} | {areas} | {seconds:.1f} ({pmap.km2_per_s:.1f} km²/s) |"
        )
        print(rows[-1], flush=True)
    command = "PYTHONPATH=src .venv/bin/python benchmarks/" + " ".join(
        shlex.quote(a) for a in [Path(sys.argv[0]).name, *sys.argv[1:]]
    )
    section = [
        "## Whole-scene maps against the masks (Strzegom, per date)",
        "",
        f"- command: `{command}`",
        f"- date: {dt.date.today().isoformat()}; machine: {describe(args.threads)}",
        f"- model: openpit-dense, {args.slice} px slices (stride {args.stride}) of the training blocks x dates "
        f"{', '.join(str(d) for d in data.train_dates)}, split seed {args.split_seed}, {trained.epochs_run} epochs "
        f"(best {trained.best_epoch}), {trained.seconds:.0f} s; maps with stride {max(1, args.slice // 3)} px",
        "- scored per pixel on the labelled pixels of the held-out test blocks (class 10 vs the other classes); "
        "area: the whole 16 km² scene (the mask labels only part of it, so its quarry area is a lower bound)",
        "",
        "| date | labelled test-block px (open pit) | kappa / F1 at 0.7 | at 0.8 | at 0.9 | mask quarry ha "
        "| mapped ha at 0.7 / 0.8 / 0.9 | map s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    write_section(args.out, "\n".join(section))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
