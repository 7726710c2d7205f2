"""Figure: modulated deformable conv on CPU, torchvision kernel vs mineguard's grid_sample version.

DyHead shapes of CA-YOLOv10n at 320/640 px input: B = 8, C_in = C_out = 64, 3x3, padding 1,
stride 1, on 40x40 and 80x80 maps; random offsets (N(0, 2) pixels) and masks in (0, 1). Times
the forward pass and forward + backward (gradients for input, offset, mask, weight), median of
``--runs`` after warm-up, and checks both agree. Writes docs/results/deform_conv.md.

    .venv/bin/python benchmarks/bench_deform_conv.py [--runs 5] [--threads N]
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torchvision.ops import deform_conv2d

from machine_info import describe
from mineguard.ops.deform import modulated_deform_conv2d
from results_file import run_report
from timing import median_ms

ROOT = Path(__file__).resolve().parents[1]


def torchvision_impl(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return deform_conv2d(x, offset, weight, padding=1, mask=mask)


def mineguard_impl(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return modulated_deform_conv2d(x, offset, mask, weight, padding=1)


IMPLEMENTATIONS: dict[str, Callable[..., torch.Tensor]] = {
    "torchvision.ops.deform_conv2d": torchvision_impl,
    "mineguard modulated_deform_conv2d": mineguard_impl,
}


def make_inputs(batch: int, channels: int, size: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, size, size, generator=g)
    offset = torch.randn(batch, 18, size, size, generator=g) * 2.0
    mask = torch.rand(batch, 9, size, size, generator=g)
    weight = torch.randn(channels, channels, 3, 3, generator=g) * 0.05
    return x, offset, mask, weight


def bench(batch: int, channels: int, size: int, *, warmup: int, runs: int) -> list[dict[str, object]]:
    inputs = make_inputs(batch, channels, size)
    grad_inputs = tuple(t.clone().requires_grad_() for t in inputs)
    upstream = torch.randn(batch, channels, size, size, generator=torch.Generator().manual_seed(1))
    outputs, rows = {}, []
    for name, impl in IMPLEMENTATIONS.items():

        def forward(impl: Callable[..., torch.Tensor] = impl) -> None:
            with torch.no_grad():
                impl(*inputs)

        def forward_backward(impl: Callable[..., torch.Tensor] = impl) -> None:
            torch.autograd.grad(impl(*grad_inputs), grad_inputs, upstream)

        with torch.no_grad():
            outputs[name] = impl(*inputs)
        row: dict[str, object] = {
            "impl": name,
            "shape": f"{batch}x{channels}x{size}x{size}",
            "forward": median_ms(forward, warmup=warmup, runs=runs),
            "forward_backward": median_ms(forward_backward, warmup=warmup, runs=runs),
        }
        rows.append(row)
        print(f"{row['shape']} {name}: fwd {row['forward']:.1f} ms, fwd+bwd {row['forward_backward']:.1f} ms")
    ref, ours = outputs.values()
    rows[0]["max_abs_diff"] = "reference"
    rows[1]["max_abs_diff"] = f"{(ours - ref).abs().max().item():.1e}"
    return rows


def to_markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| input (B x C x H x W) | implementation | forward ms | forward + backward ms | max abs diff of output |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r['impl']} | {r['forward']:.1f} | {r['forward_backward']:.1f} | {r['max_abs_diff']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--sizes", default="40,80", help="square map sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per cell (median reported)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "deform_conv.md")
    parser.add_argument("--note", default="", help="free text added under the table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    before = describe(torch.get_num_threads())
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows += bench(args.batch, args.channels, size, warmup=args.warmup, runs=args.runs)
    table = to_markdown(rows)
    print(table)

    command = "python benchmarks/bench_deform_conv.py " + shlex.join(sys.argv[1:])
    text = run_report(
        "Modulated deformable convolution (DCNv2) on CPU",
        command=command,
        machine_start=before,
        machine_end=describe(torch.get_num_threads()),
        protocol=f"float32, 3x3, padding 1, stride 1, offsets N(0, 2) px, masks U(0, 1); "
        f"{args.warmup} warm-up, median of {args.runs} runs; forward under `torch.no_grad`, "
        "backward computes gradients for input, offset, mask and weight",
        table=table,
        note=args.note,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
