"""Figure: eager PyTorch vs onnxruntime on CPU for YOLOv10-N and CA-YOLOv10n, per input size and threads.

An untrained model per name (seed 0, 2 classes — speed does not depend on the weights) is saved as
a checkpoint, exported with ``mineguard.runtime.export.export_onnx`` at each size, and both
backends (``load_predictor(..., backend="torch"|"onnx")``) run the same letterboxed batch of one
image; the time is the graph call only (pre- and post-processing are shared). Also reports the
largest score difference between the two. Writes docs/results/runtime.md.

    .venv/bin/python benchmarks/bench_onnx_runtime.py [--sizes 320,640] [--threads 1,2] [--runs 10]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from machine_info import describe
from mineguard.models import get_model
from mineguard.models.checkpoint import save_checkpoint
from mineguard.runtime.export import export_onnx
from mineguard.runtime.predictor import load_predictor
from results_file import run_report
from timing import median_ms

ROOT = Path(__file__).resolve().parents[1]


def make_checkpoint(folder: Path, name: str) -> Path:
    torch.manual_seed(0)
    model = get_model(name, num_classes=2)
    payload = {"model_name": name, "model_config": {"num_classes": 2}, "names": ["helmet", "no_helmet"]}
    path = folder / f"{name}.pt"
    save_checkpoint(path, {**payload, "model": model.eval().state_dict(), "img_size": 640})
    return path


def bench(name: str, sizes: list[int], threads: list[int], *, warmup: int, runs: int) -> list[dict[str, object]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = make_checkpoint(Path(tmp), name)
        for size in sizes:
            onnx_path = export_onnx(ckpt, Path(tmp) / f"{name}_{size}.onnx", img_size=size)
            x = np.random.default_rng(0).random((1, 3, size, size), dtype=np.float32)
            for n in threads:
                eager = load_predictor(ckpt, backend="torch", threads=n, device="cpu", img_size=size)
                onnx = load_predictor(onnx_path, backend="onnx", threads=n)
                diff = float(np.abs(np.sort(eager.run(x)[0, :, 4]) - np.sort(onnx.run(x)[0, :, 4])).max())
                row = {
                    "model": name,
                    "size": size,
                    "threads": n,
                    "torch": median_ms(lambda p=eager, x=x: p.run(x), warmup=warmup, runs=runs),
                    "onnx": median_ms(lambda p=onnx, x=x: p.run(x), warmup=warmup, runs=runs),
                    "diff": diff,
                }
                rows.append(row)
                print(row, flush=True)
    return rows


def to_markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| model | input px | threads | eager PyTorch ms | onnxruntime ms | speed-up | max score diff |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['size']} | {r['threads']} | {r['torch']:.1f} | {r['onnx']:.1f} | "
            f"{r['torch'] / r['onnx']:.2f}x | {r['diff']:.1e} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="yolov10n,ca-yolov10n")
    parser.add_argument("--sizes", default="320,640")
    parser.add_argument("--threads", default="1,2", help="intra-op threads, comma-separated (both backends)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per cell (median reported)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "runtime.md")
    parser.add_argument("--note", default="", help="free text added under the table")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]

    before = describe(torch.get_num_threads())
    rows = []
    for name in args.models.split(","):
        rows += bench(name, sizes, threads, warmup=args.warmup, runs=args.runs)
    table = to_markdown(rows)
    print(table)
    text = run_report(
        "Detector inference on CPU: eager PyTorch vs onnxruntime",
        command="python benchmarks/bench_onnx_runtime.py " + shlex.join(sys.argv[1:]),
        machine_start=before,
        machine_end=describe(torch.get_num_threads()),
        protocol=f"batch 1, float32, untrained weights (seed 0, 2 classes); model call only (the end-to-end "
        f"NMS-free graph, letterbox and post-processing excluded as both backends share them); "
        f"{args.warmup} warm-up, median of {args.runs} runs; same thread count for torch and onnxruntime "
        "(intra-op)",
        table=table,
        note=args.note,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
