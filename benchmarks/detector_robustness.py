"""Figure: detectors under underground corruptions, and what training with them buys.

For each detector given, scores the labelled test split clean and under every corruption of
``mineguard.data.corruptions`` (coal dust, low light, cap-lamp glare, motion blur, smoke, lens dirt)
at severities 1-3 with the project's COCO evaluator; the corruption of image ``i`` is drawn from
seed ``i``, so every model sees the same corrupted images. Then runs every detector on the 12 real
underground frames (``frames/underground_coalmine``, CCTV with cap lamps, unlabelled: for eyes, not
a metric) clean and at each severity, counts boxes at the operating confidence, and draws one
contact sheet per model and corruption (rows: frames; columns: clean, severity 1, 2, 3).

    PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/detector_robustness.py --threads 1 \\
        --weights src/mineguard/edge/models/helmet_yolov10n_ca_rf3.onnx runs/helmet_rf3_ug/best.onnx --write

Writes ``docs/results/<name>.md`` (tables), ``docs/results/<name>.png`` (the degradation chart) and
``docs/results/robustness/<model>_<corruption>.jpg`` (the galleries); ``--name`` defaults to
``detector_robustness`` (the helmet figure). The hazard figure of ``docs/results/hazards.md``:

    PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/detector_robustness.py --threads 1 \\
        --data data/hazards_merged/data.yaml --name detector_robustness_hazards \\
        --weights runs/hazard_yolov10n.onnx --write
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from mineguard.data.corruptions import CORRUPTIONS, SEVERITIES, corrupt
from mineguard.data.datasets.data_yaml import load_data_yaml
from mineguard.data.datasets.detection import DetectionDataset
from mineguard.data.datasets.images import read_rgb
from mineguard.evaluation.detection import evaluate_detections
from mineguard.runtime.predictor import annotate, list_images, load_predictor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from results_file import run_lines  # noqa: E402

SHARED = Path(os.environ.get("MINEGUARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "docs" / "results"
THUMB_W = 200
DEFAULT_NAME = "detector_robustness"
DEFAULT_DATA = SHARED / "helmets" / "roboflow_v3" / "data.yaml"
DEFAULT_FRAMES = SHARED / "frames" / "underground_coalmine"


def _score(predictor, dataset: DetectionDataset, names: list[str], corruption: str | None, severity: int):
    predictions, truths = [], []
    for i, path in enumerate(dataset.image_paths):
        image = read_rgb(path)
        if corruption is not None:
            image = corrupt(image, corruption, severity, seed=i)
        predictions.append(predictor.predict(image))
        truths.append(dataset.load_ground_truth(i))
    metrics = evaluate_detections(predictions, truths, names)
    return float(metrics.map50), float(metrics.map50_95)


def _thumb(predictor, names: list[str], image: np.ndarray, conf: float, scratch: Path) -> tuple[np.ndarray, int]:
    """The image (RGB) with the boxes at ``conf`` drawn, as a BGR thumbnail, and the box count."""
    detections = predictor.predict(image)
    kept = detections[detections.confidence >= conf]
    source = scratch / "frame.png"
    cv2.imwrite(str(source), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    drawn = cv2.imread(str(annotate(source, kept, names, scratch / "drawn.png")))
    height = round(drawn.shape[0] * THUMB_W / drawn.shape[1])
    return cv2.resize(drawn, (THUMB_W, height), interpolation=cv2.INTER_AREA), len(kept)


def _galleries(predictor, stem: str, names: list[str], frames: list[Path], conf: float, scratch: Path, write: bool):
    """Boxes at ``conf`` on the underground frames: {(corruption, severity): count}; sheets when ``write``."""
    counts: dict[tuple[str, int], int] = {}
    for corruption in CORRUPTIONS.names():
        rows = []
        for i, path in enumerate(frames):
            image = read_rgb(path)
            cells = []
            for severity in (0, *SEVERITIES):
                shown = image if severity == 0 else corrupt(image, corruption, severity, seed=i)
                cell, n = _thumb(predictor, names, shown, conf, scratch)
                counts[(corruption, severity)] = counts.get((corruption, severity), 0) + n
                cells.append(cell)
            height = min(c.shape[0] for c in cells)
            rows.append(np.hstack([c[:height] for c in cells]))
        if write:
            width = max(r.shape[1] for r in rows)
            sheet = np.vstack([np.pad(r, ((0, 2), (0, width - r.shape[1]), (0, 0))) for r in rows])
            out = RESULTS / "robustness" / f"{stem}_{corruption}.jpg"
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), sheet, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return counts


def _chart(table: dict[str, dict[tuple[str, int], float]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    corruptions = CORRUPTIONS.names()
    fig, axes = plt.subplots(1, len(corruptions), figsize=(3 * len(corruptions), 3), sharey=True)
    for ax, corruption in zip(axes, corruptions, strict=True):
        for stem, scores in table.items():
            ys = [scores[("clean", 0)], *(scores[(corruption, s)] for s in SEVERITIES)]
            ax.plot([0, *SEVERITIES], ys, marker="o", label=stem)
        ax.set_title(corruption.replace("_", " "))
        ax.set_xticks([0, *SEVERITIES])
        ax.set_xlabel("severity (0 = clean)")
    axes[0].set_ylabel("test mAP50")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", nargs="+", type=Path, required=True, help=".onnx or .pt detectors")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="test")
    parser.add_argument("--frames", type=Path, default=DEFAULT_FRAMES)
    parser.add_argument("--conf", type=float, default=0.25, help="operating confidence for the galleries")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--name", default=DEFAULT_NAME, help="results stem: docs/results/<name>.md and .png")
    parser.add_argument("--write", action="store_true", help="write docs/results/<name>.md and .png")
    args = parser.parse_args()
    if not args.name or Path(args.name).name != args.name:
        raise SystemExit(f"--name {args.name!r}: give a bare file stem such as detector_robustness_hazards")

    spec = load_data_yaml(args.data)
    if args.split not in spec.splits:
        raise SystemExit(f"{args.data}: no '{args.split}' split (has {', '.join(spec.splits)})")
    names = list(spec.names)
    dataset = DetectionDataset(spec.splits[args.split], names, img_size=320)
    frames = list_images(args.frames)
    scratch = ROOT / "runs" / "robustness_scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.time()

    table: dict[str, dict[tuple[str, int], float]] = {}
    table95: dict[str, dict[tuple[str, int], float]] = {}
    counts: dict[str, dict[tuple[str, int], int]] = {}
    for weights in args.weights:
        stem = weights.parent.name if weights.stem == "best" else weights.stem
        scorer = load_predictor(weights, threads=args.threads, conf=0.001)
        scores = {("clean", 0): _score(scorer, dataset, names, None, 0)}
        for corruption in CORRUPTIONS.names():
            for severity in SEVERITIES:
                scores[(corruption, severity)] = _score(scorer, dataset, names, corruption, severity)
                print(f"{stem} {corruption} s{severity}: mAP50 {scores[(corruption, severity)][0]:.3f}", flush=True)
        table[stem] = {k: v[0] for k, v in scores.items()}
        table95[stem] = {k: v[1] for k, v in scores.items()}
        viewer = load_predictor(weights, threads=args.threads, conf=args.conf)
        counts[stem] = _galleries(viewer, stem, names, frames, args.conf, scratch, args.write)

    lines = _report(args, table, table95, counts, len(dataset), len(frames), time.time() - started)
    print("\n".join(lines))
    if args.write:
        (RESULTS / f"{args.name}.md").write_text("\n".join(lines) + "\n")
        _chart(table, RESULTS / f"{args.name}.png")


def command_line(args: argparse.Namespace) -> str:
    """The command that repeats this run, naming every option that differs from its default."""
    options = [f"--threads {args.threads}"]
    if args.data != DEFAULT_DATA:
        options.append(f"--data {args.data}")
    if args.frames != DEFAULT_FRAMES:
        options.append(f"--frames {args.frames}")
    if args.split != "test":
        options.append(f"--split {args.split}")
    if args.conf != 0.25:
        options.append(f"--conf {args.conf}")
    if args.name != DEFAULT_NAME:
        options.append(f"--name {args.name}")
    options.append("--weights " + " ".join(str(w) for w in args.weights))
    return (
        "PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/detector_robustness.py " + " ".join(options) + " --write"
    )


def _report(args, table, table95, counts, n_test: int, n_frames: int, seconds: float) -> list[str]:
    command = command_line(args)
    corruptions = CORRUPTIONS.names()
    header = "| model | clean | " + " | ".join(f"{c.replace('_', ' ')} 1/2/3" for c in corruptions) + " |"
    rule = "|" + "---|" * (2 + len(corruptions))
    lines = [
        "# Detectors under underground corruptions",
        "",
        run_lines(command, load=True),
        f"Data: `{args.data}` split `{args.split}` ({n_test} images, boxes as labelled); "
        f"{n_frames} unlabelled underground frames from `{args.frames}`. Wall time {seconds / 60:.1f} min.",
        "",
        "Corruptions from `mineguard.data.corruptions` (its docstring gives each transform and its "
        "three severities); image i of the split is corrupted with seed i, the same for every model.",
        "",
        "## Test mAP50 (COCO-exact evaluator), clean and at severity 1/2/3",
        "",
        header,
        rule,
    ]
    for stem, scores in table.items():
        cells = [f"{scores[(c, 1)]:.3f}/{scores[(c, 2)]:.3f}/{scores[(c, 3)]:.3f}" for c in corruptions]
        lines.append(f"| {stem} | {scores[('clean', 0)]:.3f} | " + " | ".join(cells) + " |")
    lines += ["", "## Test mAP50-95, clean and at severity 1/2/3", "", header, rule]
    for stem, scores in table95.items():
        cells = [f"{scores[(c, 1)]:.3f}/{scores[(c, 2)]:.3f}/{scores[(c, 3)]:.3f}" for c in corruptions]
        lines.append(f"| {stem} | {scores[('clean', 0)]:.3f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"## Boxes at confidence {args.conf} on the {n_frames} real underground frames (unlabelled)",
        "",
        "These frames show about 17 miners with helmets; a count says nothing about which boxes are right. "
        "Look at the galleries: `docs/results/robustness/<model>_<corruption>.jpg` "
        "(rows: frames; columns: clean, severity 1, 2, 3).",
        "",
        header,
        rule,
    ]
    for stem, n in counts.items():
        clean = n[(corruptions[0], 0)]
        cells = [f"{n[(c, 1)]}/{n[(c, 2)]}/{n[(c, 3)]}" for c in corruptions]
        lines.append(f"| {stem} | {clean} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"![mAP50 against severity]({args.name}.png)")
    return lines


if __name__ == "__main__":
    main()
