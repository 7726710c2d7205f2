"""Figure: CPU inference latency of YOLOv10-N and CA-YOLOv10n, eager vs channels-last.

Batch 1, eval mode, ``torch.no_grad``, random input; warm-up runs, then the median of ``--runs``
timed forward passes (ms per image, post-processing included, no pre-processing). Writes the
Markdown table with the command, the date and the machine to docs/results/detector_speed.md.

    .venv/bin/python benchmarks/bench_detector_speed.py [--runs 10] [--sizes 320,640] [--threads N]
    .venv/bin/python benchmarks/bench_detector_speed.py --quick      # smoke test: 2 runs at 320

On a shared machine, pass ``--threads`` no larger than the idle cores: oversubscribed OpenMP
threads can make every operator many times slower.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import torch

from machine_info import describe
from mineguard.models import get_model
from mineguard.models.profile import profile_model
from results_file import run_report
from timing import median_ms

ROOT = Path(__file__).resolve().parents[1]
MODES = ("eager", "channels_last")


@torch.no_grad()
def time_model(model: torch.nn.Module, image: torch.Tensor, *, warmup: int, runs: int) -> float:
    """Median wall time of one forward pass, in milliseconds."""
    return median_ms(lambda: model(image), warmup=warmup, runs=runs)


def run(models: list[str], sizes: list[int], *, runs: int, warmup: int, num_classes: int) -> list[dict[str, object]]:
    rows = []
    for name in models:
        torch.manual_seed(0)
        model = get_model(name, num_classes=num_classes).eval()
        for size in sizes:
            gflops = profile_model(model, img_size=size).gflops
            image = torch.rand(1, 3, size, size)
            row: dict[str, object] = {"model": name, "size": size, "gflops": gflops}
            for mode in MODES:
                fmt = torch.channels_last if mode == "channels_last" else torch.contiguous_format
                model = model.to(memory_format=fmt)
                row[mode] = time_model(model, image.to(memory_format=fmt), warmup=warmup, runs=runs)
            rows.append(row)
            print(f"{name} @ {size}: " + ", ".join(f"{m} {row[m]:.1f} ms" for m in MODES), flush=True)
    return rows


def to_markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| model | input | GFLOPs | eager ms/img | channels-last ms/img | channels-last speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['size']} | {r['gflops']:.2f} | {r['eager']:.1f} | {r['channels_last']:.1f} "
            f"| {r['eager'] / r['channels_last']:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="yolov10n,ca-yolov10n")
    parser.add_argument("--sizes", default="320,640", help="square input sizes in pixels, comma-separated")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per cell (median reported)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--num-classes", type=int, default=80, help="80 as in the published YOLOv10-N figures")
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 runs at 320 only")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "detector_speed.md")
    parser.add_argument("--note", default="", help="free text added under the table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = [320] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs = 2 if args.quick else args.runs

    before = describe(torch.get_num_threads())
    rows = run(args.models.split(","), sizes, runs=runs, warmup=args.warmup, num_classes=args.num_classes)
    table = to_markdown(rows)
    print(table)

    command = "python benchmarks/bench_detector_speed.py " + shlex.join(sys.argv[1:])
    text = run_report(
        "Detector inference speed (CPU)",
        command=command,
        machine_start=before,
        machine_end=describe(torch.get_num_threads()),
        protocol=f"batch 1, eval, `torch.no_grad`, random input, {args.warmup} warm-up runs, "
        f"median of {runs} runs; {args.num_classes} classes; GFLOPs from `profile_model` at that input size",
        table=table,
        note=args.note,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
