"""Figure: where a training step's time goes, per model (the speed gap of the side by side with the peer).

For each zoo model, the engine's own training step (``Trainer.step``'s loss, then backward) on real
batches of the merged hazard set at the side-by-side budget (``configs/hazards_cpu320.yaml``: 320 px,
batch 16): the mean step time without the profiler, then the ops with the most self CPU time under
``torch.profiler``. Data loading is not timed.

    .venv/bin/python benchmarks/profile_train_step.py --models yolov10n ca-yolov10n --threads 1 --write

Reads ``data/hazards_merged`` (``mineguard data hazards --out data/hazards_merged``); ``--write`` puts the
tables into ``docs/results/detector_speed.md`` as their own section.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import time
from pathlib import Path

import torch
import yaml
from torch.profiler import ProfilerActivity, profile

from mineguard.engine.config import load_train_config
from mineguard.engine.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from results_file import run_lines, write_section  # noqa: E402

CONFIG = ROOT / "configs" / "hazards_cpu320.yaml"
HEADING = "## Where a training step's time goes (CPU, forward + backward, side-by-side budget)"


def _step(trainer: Trainer, batch) -> None:
    trainer.model.zero_grad()
    trainer.step(batch)["loss"].backward()


def profile_model(name: str, steps: int, top: int, out: Path) -> tuple[float, list[tuple[str, float, float]]]:
    """Mean seconds a step, and the ``top`` ops by self CPU time: (op, ms a step, share of all self time)."""
    values = yaml.safe_load(CONFIG.read_text())
    config = load_train_config({**values, "data": str(ROOT / values["data"]), "model": name, "out_dir": str(out)})
    trainer = Trainer(config)
    trainer.model.train()
    batches = list(itertools.islice(trainer._loader(0), 1 + 2 * steps))
    _step(trainer, batches[0])
    started = time.perf_counter()
    for batch in batches[1 : 1 + steps]:
        _step(trainer, batch)
    seconds = (time.perf_counter() - started) / steps
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in batches[1 + steps :]:
            _step(trainer, batch)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    ranked = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:top]
    return seconds, [(e.key, e.self_cpu_time_total / steps / 1e3, e.self_cpu_time_total / total) for e in ranked]


def section(results: dict[str, tuple[float, list[tuple[str, float, float]]]], args: argparse.Namespace) -> str:
    command = "python " + shlex.join(["benchmarks/profile_train_step.py", *sys.argv[1:]])
    lines = [
        HEADING,
        "",
        run_lines(command, load=True),
        f"Protocol: `configs/hazards_cpu320.yaml` (320 px, batch 16), merged hazard set, train mode, "
        f"{args.threads} torch thread(s); one warm-up step, then the mean of {args.steps} steps without the "
        f"profiler, then {args.steps} more under `torch.profiler` (CPU) for the op table. Data loading not timed.",
        "",
        "| model | s a training step | images/s in the step alone |",
        "|---|---|---|",
    ]
    batch = yaml.safe_load(CONFIG.read_text())["batch_size"]
    lines += [f"| `{m}` | {s:.2f} | {batch / s:.1f} |" for m, (s, _) in results.items()]
    for model, (_, ops) in results.items():
        lines += ["", f"Ops with the most self CPU time, `{model}`:", "", "| op | ms a step | share |", "|---|---|---|"]
        lines += [f"| `{op}` | {ms:.0f} | {share:.1%} |" for op, ms, share in ops]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["yolov10n", "ca-yolov10n"])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "profile_train_step")
    parser.add_argument("--write", action="store_true", help="write the section into docs/results/detector_speed.md")
    args = parser.parse_args()
    if not (ROOT / "data" / "hazards_merged" / "data.yaml").is_file():
        raise SystemExit(
            "data/hazards_merged/data.yaml: build it first with 'mineguard data hazards --out data/hazards_merged'"
        )
    torch.set_num_threads(args.threads)
    results = {m: profile_model(m, args.steps, args.top, args.out / m) for m in args.models}
    text = section(results, args)
    print(text)
    if args.write:
        write_section(ROOT / "docs" / "results" / "detector_speed.md", text)


if __name__ == "__main__":
    main()
