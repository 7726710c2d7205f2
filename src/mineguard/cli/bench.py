"""``mineguard bench video``: how fast one camera's pipeline runs on this machine, as configured.

The camera is taken from the site file (its regions, event map, tiles and tracker), the source
from ``--source`` (default: the bundled underground clip), and the detector from ``--model``
(default: the bundled helmet model). It prints end-to-end fps, each stage's milliseconds and the
cameras one core keeps up with at ``--camera-fps``. The side-by-side with Ultralytics is
``benchmarks/bench_video.py``, which measures the same way.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mineguard.edge.box import DEMO_CLIP, HELMET_MODEL, shipped
from mineguard.edge.cameras import build_watch, plan_cameras
from mineguard.mine.site import load_site
from mineguard.runtime.predictor import load_predictor
from mineguard.runtime.watch import STAGES, measure_watch


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("bench", help="measure the camera pipeline on this machine")
    kinds = p.add_subparsers(dest="bench", metavar="KIND", required=True)
    v = kinds.add_parser("video", help="one camera's fps and per-stage ms (decode to evidence), offline")
    v.add_argument("--site", type=Path, help="site YAML (default: the sample)")
    v.add_argument("--camera", default="cam-face-gate-1101", help="the camera whose view is measured")
    v.add_argument("--source", help="video file, folder of frames or stream (default: the bundled clip)")
    v.add_argument("--model", type=Path, help="detector .onnx or .pt (default: the bundled helmet model)")
    v.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto")
    v.add_argument("--threads", type=int, default=1, help="inference threads (default 1)")
    v.add_argument("--frames", type=int, default=60, help="frames timed after one warm-up (default 60)")
    v.add_argument("--camera-fps", type=float, default=5.0, help="frame rate for the cameras-per-core figure")
    v.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    v.set_defaults(func=cmd_bench_video)


def cmd_bench_video(args: argparse.Namespace) -> int:
    if args.frames < 1 or args.threads < 1 or not args.camera_fps > 0:
        raise ValueError("--frames and --threads must be >= 1 and --camera-fps > 0")
    model = args.model or shipped(HELMET_MODEL, "models")
    source = args.source or shipped(DEMO_CLIP, "demo")
    if model is None or source is None:
        raise ValueError("no bundled " + ("model: pass --model" if model is None else "clip: pass --source"))
    [plan] = plan_cameras(load_site(args.site), {args.camera: str(source)})
    detector = load_predictor(model, backend=args.backend, threads=args.threads, device="cpu")
    watch = build_watch(plan, detector, realtime=False, loop=True)
    try:
        speed = measure_watch(watch, args.frames)
    finally:
        watch.close()
    per_core = speed.cameras_at(args.camera_fps, cores=1 / args.threads)
    if args.json:
        print(json.dumps({**speed.to_json(), "cameras_per_core": round(per_core, 2), "backend": detector.backend}))
        return 0
    print(
        f"camera {plan.camera}: {Path(str(source)).name} through {Path(model).name} ({detector.backend}, "
        f"{args.threads} thread(s)), {speed.frames} frames"
    )
    print(f"  {speed.fps:.1f} fps end to end; {per_core:.1f} cameras per core at {args.camera_fps:g} fps")
    for stage in STAGES:
        print(f"  {stage.removesuffix('_ms'):<12} {getattr(speed, stage):7.2f} ms")
    return 0
