"""Figure: miner identification on real faces (att_orl) at three coal-dust levels (issue #5, seed 002).

Protocol (``mineguard.faces.protocol``, seed 0): 32 known people (5 enrolment, 1 validation,
4 test images each), 8 unknown people (4 for choosing the open-set threshold, 4 for the test).
Each model is trained from scratch on the known people's enrolment images only, then scored by
``mineguard.faces.evaluate`` at dust none / light / heavy: closed-set rank-1, open-set P/R/F1 and
false accepts, TAR at FAR 1 %, model size and CPU ms per face. ``pixels`` is a no-learning
reference (the aligned crop downsampled to 23x28, mean-removed). Finished runs are reused.

    .venv/bin/python benchmarks/faces_att_orl.py [--runs dsr,resnet18] [--epochs 60] [--write]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from face_peers import DlibEmbedder, pixels
from mineguard.faces.embed import FaceEmbedder
from mineguard.faces.evaluate import LEVELS, evaluate_faces
from mineguard.faces.protocol import load_att_orl, make_protocol
from mineguard.faces.train import FaceTrainConfig, FaceTrainer
from timing import median_ms

ROOT = Path(__file__).resolve().parents[1]
RUNS = {  # name: (model, model kwargs, dust augmentation probability)
    "dsr": ("dsr-inception", {"width": 0.5}, 0.5),
    "dsr-nodust": ("dsr-inception", {"width": 0.5}, 0.0),
    "resnet18": ("resnet18-face", {}, 0.5),
    "googlenet": ("googlenet-face", {}, 0.5),
    "vgg16": ("vgg16-face", {}, 0.5),
    "pixels": (None, {}, 0.0),
    "dlib": (None, {}, 0.0),  # outside peer: dlib's ResNet face embedding (pip install -e ".[bench-faces]")
    "dsr-w1": ("dsr-inception", {"width": 1.0}, 0.5),  # the paper's full width (64..1024 channels)
    "dsr-lr05": ("dsr-inception", {"width": 0.5}, 0.5),  # lr0 0.05 instead of the paper's 0.01
}
OVERRIDES = {"dsr-lr05": {"lr0": 0.05}}  # per-run changes to the training recipe
# Transfer learning (seed 002 Table 3): pre-train on the first half of the known people, then
# fine-tune on all known people for a quarter of the epochs with stages 0..n-1 frozen; "scratch-q"
# trains from scratch for the same quarter budget, the yardstick of the strategies.
PRETRAIN = "dsr-pretrain-half"
STRATEGIES = {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 5}
for _letter in STRATEGIES:
    RUNS[f"transfer-{_letter}"] = ("dsr-inception", {"width": 0.5}, 0.5)
RUNS["scratch-q"] = ("dsr-inception", {"width": 0.5}, 0.5)


def ms_per_face(embedder, face: np.ndarray, repeats: int = 30) -> float:
    return median_ms(lambda: embedder.embed([face]), warmup=1, runs=repeats)


def run_one(name: str, args: argparse.Namespace, protocol) -> dict:
    model, kwargs, dust_p = RUNS[name]
    row: dict = {"run": name, "model": model or name, "model_kwargs": kwargs, "dust_p": dust_p}
    if name == "dlib":
        peer = DlibEmbedder()
        embed, size_mb, ms = peer.embed, peer.model_mb, ms_per_face(peer, np.full((112, 112), 128, np.uint8))
    elif model is None:
        embed, size_mb, ms = pixels, 0.0, float("nan")
    else:
        ids = list(protocol.train_ids)
        train = [(str(p), ids.index(pid)) for p, pid in protocol.items("enrol")]
        val = [(str(p), ids.index(pid)) for p, pid in protocol.items("val_known")]
        out = args.out / name
        extra: dict = {"epochs": args.epochs, "lr0": args.lr, **OVERRIDES.get(name, {})}
        if name.startswith("transfer-") or name == "scratch-q":
            extra["epochs"] = max(1, args.epochs // 4)
        if name.startswith("transfer-"):
            extra |= {"init_from": str(pretrained(args, protocol)), "freeze_stages": STRATEGIES[name[-1]]}
            row["pretrained_on"] = ids[: len(ids) // 2]
        config = FaceTrainConfig(
            model=model,
            model_kwargs=kwargs,
            batch_size=32,
            decay=args.decay,
            dust_p=dust_p,
            seed=args.seed,
            threads=args.threads,
            out_dir=str(out),
            **extra,
        )
        started = time.perf_counter()
        best = FaceTrainer(config).fit(train, val, ids)
        row["train_s"] = round(time.perf_counter() - started, 1)
        row["train_config"] = config.dump()
        embedder = FaceEmbedder.from_checkpoint(best)
        embed = embedder.embed
        size_mb = sum(t.numel() * t.element_size() for t in embedder.model.state_dict().values()) / 2**20
        ms = ms_per_face(embedder, np.full((112, 112), 128, np.uint8))
    row["size_mb"], row["ms_per_face"] = round(size_mb, 2), round(ms, 1)
    row["levels"] = [evaluate_faces(protocol, embed, level=lv, seed=args.seed).to_dict() for lv in LEVELS]
    return row


def pretrained(args: argparse.Namespace, protocol) -> Path:
    """best.pt of the source model: DSR-Inception on the first half of the known people (cached)."""
    best = args.out / PRETRAIN / "best.pt"
    if best.is_file():
        return best
    ids = list(protocol.train_ids)[: len(protocol.train_ids) // 2]
    train = [(str(p), ids.index(pid)) for p, pid in protocol.items("enrol") if pid in ids]
    val = [(str(p), ids.index(pid)) for p, pid in protocol.items("val_known") if pid in ids]
    config = FaceTrainConfig(
        model="dsr-inception",
        model_kwargs={"width": 0.5},
        epochs=args.epochs,
        batch_size=32,
        lr0=args.lr,
        decay=args.decay,
        dust_p=0.5,
        seed=args.seed,
        threads=args.threads,
        out_dir=str(args.out / PRETRAIN),
    )
    return FaceTrainer(config).fit(train, val, ids)


METRICS = ("rank1", "precision", "recall", "f1", "false_accept_rate", "tar_at_far1")


def table(rows: list[dict]) -> str:
    lines = [
        "| run | model | epochs | dust aug. | level | rank-1 | precision | recall | F1 | false accepts | "
        "TAR@FAR1% | MB | ms/face |",
        "|---" * 13 + "|",
    ]
    for row in rows:
        for r in row["levels"]:
            epochs = row.get("train_config", {}).get("epochs", "-")
            scores = [f"{r[k]:.3f}" for k in METRICS]
            cells = [
                row["run"],
                row["model"],
                epochs,
                row["dust_p"],
                r["level"],
                *scores,
                row["size_mb"],
                row["ms_per_face"],
            ]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "faces" / "att_orl")
    parser.add_argument(
        "--runs",
        default="pixels,dsr,dsr-nodust,resnet18,googlenet,scratch-q," + ",".join(f"transfer-{k}" for k in STRATEGIES),
    )
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--decay", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "faces")
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "faces_runs.json")
    parser.add_argument("--write", action="store_true", help="write docs/results/faces.md from the results file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    protocol = make_protocol(load_att_orl(args.data), seed=args.seed)
    done = json.loads(args.results.read_text()) if args.results.is_file() else {"runs": {}}
    for name in [n.strip() for n in args.runs.split(",") if n.strip()]:
        if name not in RUNS:
            raise SystemExit(f"unknown run {name!r} — choose from {', '.join(RUNS)}")
        if name in done["runs"] and done["runs"][name].get("epochs") == args.epochs:
            continue
        row = run_one(name, args, protocol)
        row["epochs"] = args.epochs
        row["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        row["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
        done["runs"][name] = row
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(done, indent=1))
        print(table([row]), flush=True)
    print(table(list(done["runs"].values())))
    if args.write:
        write_report(list(done["runs"].values()))


MARKER = "<!-- generated by benchmarks/faces_att_orl.py: everything below is rewritten -->"


def per_person_table(row: dict) -> str:
    levels = {r["level"]: r["per_person"] for r in row["levels"]}
    people = sorted(levels["none"], key=lambda p: int(p[1:]) if p[1:].isdigit() else p)
    lines = [
        "| person | " + " | ".join(f"{lv} precision | {lv} miss" for lv in levels) + " |",
        "|---" * (1 + 2 * len(levels)) + "|",
    ]
    for person in people:
        cells = [f"{levels[lv][person][0]:.2f} | {levels[lv][person][1]:.2f}" for lv in levels]
        lines.append(f"| {person} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(rows: list[dict]) -> None:
    path = ROOT / "docs" / "results" / "faces.md"
    head = path.read_text().split(MARKER)[0].rstrip() if path.is_file() else "# Miner identification (seed 002)"
    body = REPORT.format(
        table=table(rows), dates=", ".join(sorted({r["date"] for r in rows})), machine=rows[0]["machine"]
    )
    main_run = next((r for r in rows if r["run"] == "dsr"), None)
    if main_run is not None:
        title = "Per person, run `dsr` (seed 002 Table 6: precision and miss rate):"
        body += f"\n\n{title}\n\n{per_person_table(main_run)}"
    path.write_text(f"{head}\n\n{MARKER}\n\n{body}\n")


REPORT = """Command: `.venv/bin/python benchmarks/faces_att_orl.py --write` (dlib peer: `pip install -e
".[bench-faces]"` first). Runs: {dates}. Machine: {machine}. Per-run configs, the exact split and
per-person scores: `docs/results/faces_runs.json`.

{table}"""


if __name__ == "__main__":
    main()
