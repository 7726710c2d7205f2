"""Figure: seed 000's Table 1 / Table 2 layout on our merged hazard set, for YOLOv3-GC and its comparison detectors.

Builds ``data/hazards_merged`` (``mineguard data hazards``) if it is not there, trains every row with
its budget (``configs/hazards_yolov3_cpu320.yaml`` for the YOLO rows, ``configs/hazards_baselines_cpu320.yaml``
for torchvision's Faster R-CNN and SSD: the same epochs, size, batch, augmentation and seed, each
family its own learning rate), reuses finished rows and resumes interrupted ones (``engine.ablation.fit_row``),
scores each ``best.pt`` on the test split per class and per hazard group (``evaluation.groups``),
and writes its section of ``docs/results/hazards.md`` plus PR curves to ``docs/results/hazards/``.

    .venv/bin/python benchmarks/hazard_table1.py
        [--rows yolov3-gc-s,yolov3-s,faster-rcnn-mnv3,ssdlite-mnv3,yolov10n,ca-yolov10n]
        [--out runs/hazards320] [--threads 1]

Rows can train in parallel processes (``--rows ssdlite-mnv3 --no-report`` in one, another row in a
second); run once more without ``--no-report`` to write the tables. ``--score-only`` trains nothing and
scores each row's ``best.pt`` so far; the table says how many of the planned epochs each row ran.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import yaml

from mineguard.data.hazard_set import build_hazard_set
from mineguard.data.taxonomy import load_taxonomy
from mineguard.engine.ablation import fit_row
from mineguard.engine.report import evaluate_checkpoint
from mineguard.engine.trainer import logged_time
from mineguard.evaluation.detection import DetectionMetrics
from mineguard.evaluation.groups import evaluate_groups
from mineguard.evaluation.plots import plot_pr_curves

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from results_file import run_lines, write_section  # noqa: E402

# model -> (seed 000's column it stands for, training config)
ROWS = {
    "faster-rcnn-mnv3": ("Faster R-CNN", "hazards_baselines_cpu320.yaml"),
    "ssdlite-mnv3": ("SSD", "hazards_baselines_cpu320.yaml"),
    "yolov3-s": ("YOLOv3 (pre-enhancement)", "hazards_yolov3_cpu320.yaml"),
    "yolov3-gc-s": ("YOLOv3-GC (post-enhancement)", "hazards_yolov3_cpu320.yaml"),
    "yolov10n": ("YOLOv10n (seed 001's baseline)", "hazards_cpu320.yaml"),
    "ca-yolov10n": ("CA-YOLOv10n (seed 001)", "hazards_cpu320.yaml"),
}
HEADING = "## Seed 000's Table 1 and Table 2 on the merged set: YOLOv3-GC against its comparison detectors (CPU)"


def _fmt(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.3f}"


def _score(model: str, values: dict, out: Path, *, score_only: bool = False) -> dict:
    """Train the row (unless ``score_only``: then its ``best.pt`` so far) and score it per class and group."""
    run_dir = out / model
    if not score_only:
        fit_row(values, run_dir)
    elif not (run_dir / "best.pt").is_file():
        raise SystemExit(f"{run_dir}: no best.pt to score — train the row first (run without --score-only)")
    report = evaluate_checkpoint(run_dir / "best.pt", values["data"], split="test", out_dir=run_dir)
    names = list(report.result.metrics.names)
    groups = yaml.safe_load(Path(values["data"]).read_text())["groups"]
    by_group = evaluate_groups(report.result.predictions, report.result.ground_truths, names, groups)
    epochs_done, seconds = logged_time(run_dir)
    return {
        "summary": report.summary,
        "classes": report.result.metrics,
        "groups": by_group,
        "planned_epochs": values["epochs"],
        "epochs": f"{epochs_done} / {values['epochs']}",
        "minutes": seconds / 60,
    }


def _class_table(rows: dict[str, dict], field: str) -> list[str]:
    models = list(rows)
    first: DetectionMetrics = rows[models[0]]["classes"]
    lines = [
        "| class | test boxes | " + " | ".join(ROWS[m][0] + f" `{m}`" for m in models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    for i, name in enumerate(first.names):
        if first.instances[i] == 0:
            continue
        if field == "precision":  # with the recall beside it: P is 1 where a class has no box above best_conf
            cells = [
                f"{_fmt(float(rows[m]['classes'].precision[i]))} / {_fmt(float(rows[m]['classes'].recall[i]))}"
                for m in models
            ]
        else:
            cells = [_fmt(float(getattr(rows[m]["classes"], field)[i])) for m in models]
        lines.append(f"| {name} | {int(first.instances[i])} | " + " | ".join(cells) + " |")
    return lines


def _group_table(rows: dict[str, dict]) -> list[str]:
    models = list(rows)
    groups = rows[models[0]]["groups"].names
    head = [f"P {g}" for g in groups] + [f"R {g}" for g in groups] + [f"AP50 {g}" for g in groups]
    lines = ["| model | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    for m in models:
        g: DetectionMetrics = rows[m]["groups"]
        cells = [_fmt(float(v)) for v in (*g.precision, *g.recall, *g.ap50)]
        lines.append(f"| {ROWS[m][0]} `{m}` | " + " | ".join(cells) + " |")
    return lines


def _overall_table(rows: dict[str, dict]) -> list[str]:
    size = next(iter(rows.values()))["summary"]["img_size"]
    lines = [
        f"| model | params (M) | GFLOPs at {size} px | mAP50 | mAP50-95 | P | R | ms an image | epochs | "
        "training incl. validation (min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m, r in rows.items():
        s, c = r["summary"], r["classes"]
        lines.append(
            f"| {ROWS[m][0]} `{m}` | {s['params_inference'] / 1e6:.2f} | {s['gflops_at_img_size']:.2f} | "
            f"{c.map50:.3f} | {c.map50_95:.3f} | {c.mean_precision:.3f} | {c.mean_recall:.3f} | "
            f"{s['ms_per_image']:.1f} | {r['epochs']} | {r['minutes']:.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS), help=f"models, of: {', '.join(ROWS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "hazards320")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data root")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--no-report", action="store_true", help="train and score only; write no docs")
    parser.add_argument(
        "--score-only",
        action="store_true",
        help="train nothing: score each row's best.pt so far (epochs done are shown)",
    )
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "hazards.md")
    parser.add_argument(
        "--heading",
        default=HEADING,
        help="the section to write (or replace): a run of some rows can stand beside the full table",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    models = args.rows.split(",")
    unknown = [m for m in models if m not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {', '.join(ROWS)}")
    rows = {}
    for model in models:
        values = yaml.safe_load((ROOT / "configs" / ROWS[model][1]).read_text())
        data_yaml = ROOT / values["data"]
        if not data_yaml.is_file():
            print(build_hazard_set(load_taxonomy(), args.data, data_yaml.parent).format())
        rows[model] = _score(
            model, {**values, "data": str(data_yaml), "model": model}, args.out, score_only=args.score_only
        )
    if args.no_report:
        return
    figures = args.results.parent / "hazards"
    figures.mkdir(parents=True, exist_ok=True)
    for model, r in rows.items():
        plot_pr_curves(r["classes"], figures / f"pr_classes_{model}.png")
        plot_pr_curves(r["groups"], figures / f"pr_groups_{model}.png")
    command = f"python benchmarks/hazard_table1.py --rows {args.rows}" + (
        f" --threads {args.threads}" if args.threads else ""
    )
    if args.score_only:
        command += " --score-only"
    if args.heading != HEADING:
        command += f' --heading "{args.heading}"'
    epochs = {m: r["planned_epochs"] for m, r in rows.items()}
    lines = [
        args.heading if args.heading.startswith("#") else f"## {args.heading}",
        "",
        run_lines(command, load=True),
        f"Data: the merged hazard set above, test split ({rows[models[0]]['classes'].num_images} images); "
        f"epochs per row: {epochs}. Weights are not committed; the command retrains them (finished rows in "
        f"`{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}` are reused).",
        "",
        "Precision / recall per class at each model's best-F1 confidence, IoU 0.5 (seed 000's Table 1 reports "
        "precision; a class with no box above that confidence reads P 1, R 0):",
        "",
        *_class_table(rows, "precision"),
        "",
        "AP50 per class (COCO 101-point, the same evaluator for every row):",
        "",
        *_class_table(rows, "ap50"),
        "",
        "Per hazard group (seed 000's Table 2: P and R per group; a group scored as one class):",
        "",
        *_group_table(rows),
        "",
        "All classes with test labels:",
        "",
        *_overall_table(rows),
        "",
        "PR curves: "
        + ", ".join(f"`docs/results/hazards/pr_{k}_{m}.png`" for m in models for k in ("classes", "groups")),
    ]
    write_section(args.results, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
