"""Figure: where a training step's time goes, per model (the speed gap of the side by side with the peer).

For each zoo model, the engine's own training step (``Trainer.step``'s loss, then backward) on real
batches of the merged hazard set at the side-by-side budget (``configs/hazards_cpu320.yaml``: 320 px,
batch 16): the mean step time without the profiler, then the ops with the most self CPU time under
``torch.profiler``. Data loading is not timed.

    .venv/bin/python benchmarks/profile_train_step.py --models yolov10n ca-yolov10n --threads 1 --write

``--peer yolov10n.yaml yolov3u.yaml`` also times the peer's (Ultralytics, installed only in the benchmark extra:
run it with that venv's python) training step of those models on the same batches: its ``DetectionModel``
built from the yaml for the set's classes, its own loss (``model.loss``, default gains), then backward —
what its trainer does a batch, without its data loading. ``--no-profile`` skips the op tables.

    /work/peer-venv/bin/python benchmarks/profile_train_step.py --models yolov10n yolov3-gc yolov3-gc-s \
        --peer yolov10n.yaml yolov3u.yaml --threads 2 --steps 2 --no-profile --write

Reads ``data/hazards_merged`` (``mineguard data hazards --out data/hazards_merged``); ``--write`` puts the
tables into ``docs/results/detector_speed.md`` as their own section.
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _trainer(name: str, out: Path) -> Trainer:
    values = yaml.safe_load(CONFIG.read_text())
    config = load_train_config({**values, "data": str(ROOT / values["data"]), "model": name, "out_dir": str(out)})
    return Trainer(config)


def _timed(step: Callable[[Any], None], batches: list[Any], steps: int) -> float:
    """Mean seconds of ``step`` over ``batches[1 : 1 + steps]`` after one warm-up step on ``batches[0]``."""
    step(batches[0])
    started = time.perf_counter()
    for batch in batches[1 : 1 + steps]:
        step(batch)
    return (time.perf_counter() - started) / steps


def profile_model(
    name: str, steps: int, top: int, out: Path, with_ops: bool = True
) -> tuple[float, list[tuple[str, float, float]]]:
    """Mean seconds a step, and the ``top`` ops by self CPU time: (op, ms a step, share of all self time)."""
    trainer = _trainer(name, out)
    trainer.model.train()
    batches = list(itertools.islice(trainer._loader(0), 1 + 2 * steps))
    seconds = _timed(lambda batch: _step(trainer, batch), batches, steps)
    if not with_ops:
        return seconds, []
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in batches[1 + steps :]:
            _step(trainer, batch)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1.0
    ranked = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:top]
    return seconds, [(e.key, e.self_cpu_time_total / steps / 1e3, e.self_cpu_time_total / total) for e in ranked]


def peer_batch(batch: Any, img_size: int) -> dict[str, torch.Tensor]:
    """Our batch as the peer's loss takes it: boxes as centre x, y, width, height over the image side."""
    b, cls, xyxy = batch.targets[:, 0], batch.targets[:, 1:2], batch.targets[:, 2:6] / img_size
    xywh = torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], dim=1)
    return {"img": batch.images, "batch_idx": b, "cls": cls, "bboxes": xywh}


def profile_peer(cfg: str, steps: int, out: Path) -> float:
    """Mean seconds of the peer's training step of ``cfg`` (forward, its loss, backward) on our batches."""
    from ultralytics.cfg import get_cfg  # the benchmark extra only
    from ultralytics.nn.tasks import DetectionModel

    trainer = _trainer("yolov10n", out)  # only for its data loader: the same batches as our rows
    names = trainer.train_set.names
    model = DetectionModel(cfg, nc=len(names), verbose=False)
    model.args = get_cfg()  # its default loss gains (box 7.5, cls 0.5, dfl 1.5)
    model.train()
    size = yaml.safe_load(CONFIG.read_text())["img_size"]
    batches = [peer_batch(batch, size) for batch in itertools.islice(trainer._loader(0), 1 + steps)]

    def step(batch: dict[str, torch.Tensor]) -> None:
        model.zero_grad()
        loss, _ = model.loss(batch)
        loss.sum().backward()

    return _timed(step, batches, steps)


def section(
    results: dict[str, tuple[float, list[tuple[str, float, float]]]],
    args: argparse.Namespace,
    peers: dict[str, float] | None = None,
) -> str:
    command = "python " + shlex.join(["benchmarks/profile_train_step.py", *sys.argv[1:]])
    lines = [
        getattr(args, "heading", HEADING),
        "",
        run_lines(command, load=True),
        f"Protocol: `configs/hazards_cpu320.yaml` (320 px, batch 16), merged hazard set, train mode, "
        f"{args.threads} torch thread(s); one warm-up step, then the mean of {args.steps} steps without the "
        f"profiler"
        + (
            "."
            if getattr(args, "no_profile", False)
            else f", then {args.steps} more under `torch.profiler` (CPU) for the op table."
        )
        + " Data loading not timed."
        + (" Peer rows: its own model and loss on the same batches." if peers else ""),
        "",
        "| model | s a training step | images/s in the step alone |",
        "|---|---|---|",
    ]
    batch = yaml.safe_load(CONFIG.read_text())["batch_size"]
    lines += [f"| `{m}` | {s:.2f} | {batch / s:.1f} |" for m, (s, _) in results.items()]
    if peers:
        lines += [f"| peer `{cfg}` | {s:.2f} | {batch / s:.1f} |" for cfg, s in peers.items()]
    for model, (_, ops) in ((m, r) for m, r in results.items() if r[1]):
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
    parser.add_argument("--peer", nargs="*", default=[], help="the peer's model yamls to time as well")
    parser.add_argument("--no-profile", action="store_true", help="step times only, no op tables")
    parser.add_argument("--heading", default=HEADING, help="the section's heading in detector_speed.md")
    parser.add_argument("--write", action="store_true", help="write the section into docs/results/detector_speed.md")
    args = parser.parse_args()
    if not (ROOT / "data" / "hazards_merged" / "data.yaml").is_file():
        raise SystemExit(
            "data/hazards_merged/data.yaml: build it first with 'mineguard data hazards --out data/hazards_merged'"
        )
    torch.set_num_threads(args.threads)
    results = {m: profile_model(m, args.steps, args.top, args.out / m, not args.no_profile) for m in args.models}
    peers = {cfg: profile_peer(cfg, args.steps, args.out / "peer") for cfg in args.peer}
    text = section(results, args, peers)
    print(text)
    if args.write:
        write_section(ROOT / "docs" / "results" / "detector_speed.md", text)


if __name__ == "__main__":
    main()
