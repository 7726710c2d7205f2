"""``mineguard watch``: run the site's cameras through detector, tracker and scene rules, and send
the vision events (with snapshot and clip evidence) to a running service as its camera gateway."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from mineguard.edge.cameras import build_gate_watch, build_watch, parse_camera_overrides, plan_cameras
from mineguard.edge.local import LocalSink
from mineguard.edge.sink import ServiceSink
from mineguard.mine.site import load_site
from mineguard.runtime.predictor import load_predictor
from mineguard.runtime.watch import WatchRunner


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser(
        "watch", help="run cameras to vision events (PPE, restricted zones, ...) for a running service"
    )
    p.add_argument("--site", type=Path, help="site YAML whose camera devices have a 'view' (default: the sample)")
    p.add_argument("--model", type=Path, help="detector weights: a .onnx export or a .pt checkpoint (scene cameras)")
    p.add_argument(
        "--face-weights", type=Path, help="face checkpoint (best.pt of `mineguard face train`) for gate cameras"
    )
    p.add_argument("--gallery", type=Path, help="face gallery folder (`mineguard face enrol`) for gate cameras")
    p.add_argument(
        "--face-threshold", type=float, help="open-set threshold (default: threshold.json beside the weights)"
    )
    p.add_argument(
        "--backend", choices=("auto", "onnx", "torch"), default="auto", help="inference backend (default auto)"
    )
    p.add_argument("--threads", type=int, help="inference threads (default: the library's choice)")
    p.add_argument("--conf", type=float, default=0.25, help="lowest detection score kept (default 0.25)")
    p.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="ID=SOURCE",
        help="watch camera ID from SOURCE (repeatable); given, only these cameras run",
    )
    p.add_argument("--offline", action="store_true", help="judge every frame of a recording (no frame is dropped)")
    p.add_argument("--max-frames", type=int, help="stop after this many frames in all")
    p.add_argument(
        "--batch",
        action="store_true",
        help="detect the cameras' newest frames in one call (needs an export with --dynamic-batch; pays with "
        "2+ threads)",
    )
    to = p.add_mutually_exclusive_group(required=True)
    to.add_argument("--url", help="the service, e.g. http://127.0.0.1:8000 (needs --gateway and --secret-file)")
    to.add_argument("--print", dest="print_only", action="store_true", help="print events as JSON lines instead")
    p.add_argument("--gateway", help="the camera box's gateway id (registered by a manager)")
    p.add_argument("--secret-file", type=Path, help="a file holding the gateway's secret")
    p.add_argument("--save", type=Path, help="with --print: save snapshots and clips in this folder")
    p.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    plans = plan_cameras(load_site(args.site), parse_camera_overrides(args.camera))
    gates = [plan for plan in plans if plan.view.role == "gate"]
    scenes = [plan for plan in plans if plan.view.role != "gate"]
    watches = []
    if scenes:
        if args.model is None:
            raise ValueError(f"camera(s) {', '.join(p.camera for p in scenes)} run a detector: pass --model FILE")
        detector = load_predictor(args.model, backend=args.backend, threads=args.threads, conf=args.conf)
        watches += [build_watch(plan, detector, realtime=not args.offline) for plan in scenes]
    if gates:
        embedder, identifier = _face_kit(args, gates)
        watches += [build_gate_watch(plan, embedder, identifier, realtime=not args.offline) for plan in gates]
    sink = _sink(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stats = WatchRunner(watches, sink, batch=args.batch).run(stop, max_frames=args.max_frames)
    except KeyboardInterrupt:
        stats = {}
    finally:
        if isinstance(sink, ServiceSink):
            sink.flush()
            sink.close()
    for camera, camera_stats in stats.items():
        summary = {"frames": camera_stats.frames, "events": camera_stats.events, "error": camera_stats.error}
        summary["mean_ms"] = {k: round(v, 2) for k, v in camera_stats.mean_ms().items()}
        print(json.dumps({"camera_summary": {camera: summary}}))
    return 1 if any(s.error for s in stats.values()) else 0


def _sink(args: argparse.Namespace) -> ServiceSink | LocalSink:
    if args.print_only:
        return LocalSink(folder=args.save)
    if not args.gateway or not args.secret_file:
        raise ValueError("--url needs --gateway GATEWAY_ID and --secret-file FILE (the gateway's secret)")
    if not args.secret_file.is_file():
        raise ValueError(f"{args.secret_file}: no such secret file — write the gateway's secret in it")
    return ServiceSink(args.url, args.gateway, args.secret_file.read_text(encoding="utf-8").strip())


def _face_kit(args: argparse.Namespace, gates: list) -> tuple:
    """The embedder and the identifier (gallery + threshold) of the gate cameras."""
    from mineguard.cli.face import _embedder, _gallery, _threshold

    names = ", ".join(p.camera for p in gates)
    if args.face_weights is None or args.gallery is None:
        raise ValueError(f"gate camera(s) {names} identify faces: pass --face-weights FILE and --gallery FOLDER")
    from mineguard.faces.identify import Identifier

    gallery = _gallery(args.gallery)
    chosen = argparse.Namespace(threshold=args.face_threshold, weights=args.face_weights)
    threshold = _threshold(chosen, gallery, flag="--face-threshold")
    return _embedder(args.face_weights), Identifier(gallery, threshold=threshold)
