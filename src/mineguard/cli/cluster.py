"""``mineguard cluster run``: the site's cameras and ingest partitions as actors on a Ray cluster
(the optional extra ``mineguard[cluster]``), supervised until stopped; see docs/SCALING.md."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from mineguard.cli.sim import host_port


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("cluster", help="run cameras and ingest on a Ray cluster (pip install 'mineguard[cluster]')")
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = sub.add_parser("run", help="place camera and ingest actors on the cluster and keep them running")
    run.add_argument("--address", help="the Ray head, HOST:PORT (default: RAY_ADDRESS, or the local cluster)")
    run.add_argument("--site", type=Path, help="site YAML (default: the sample); its camera views and sensors")
    run.add_argument("--model", type=Path, help="detector for the cameras, a .onnx export (default: the shipped one)")
    run.add_argument(
        "--camera", action="append", default=[], metavar="ID=SOURCE", help="run camera ID from SOURCE (repeatable)"
    )
    run.add_argument("--no-cameras", action="store_true", help="run ingest partitions only")
    run.add_argument("--loop", action="store_true", help="play recordings again from the start when they end")
    run.add_argument("--max-fps", type=float, help="frames judged per second per camera (default: every frame)")
    run.add_argument("--threads", type=int, default=1, help="onnxruntime threads per camera (default 1)")
    run.add_argument("--conf", type=float, default=0.25, help="lowest detection score kept (default 0.25)")
    run.add_argument("--mqtt", type=host_port, metavar="HOST:PORT", help="the broker the sensors publish to")
    run.add_argument("--partitions", type=int, default=0, help="ingest actors over the sensors (needs --mqtt)")
    run.add_argument("--cpus-per-camera", type=float, default=1.0, help="Ray CPUs each camera actor takes (default 1)")
    run.add_argument("--cpus-per-ingest", type=float, default=0.5, help="Ray CPUs each ingest actor takes")
    run.add_argument("--camera-resource", help="custom Ray resource per camera slot (ray start --resources)")
    run.add_argument("--ingest-resource", help="custom Ray resource a node offers per ingest slot")
    run.add_argument("--check-every", type=float, default=2.0, help="seconds between health checks (default 2)")
    run.add_argument("--for-s", type=float, help="stop after this many seconds (default: until Ctrl-C or SIGTERM)")
    run.add_argument("--url", required=True, help="the service, e.g. http://10.0.0.5:8000")
    run.add_argument("--gateway", required=True, help="the gateway id the actors send as (registered by a manager)")
    run.add_argument("--secret-file", type=Path, required=True, help="a file holding the gateway's secret")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from mineguard.cluster.engine import joined
    from mineguard.cluster.plan import plan_cluster
    from mineguard.cluster.specs import ServiceAccess
    from mineguard.cluster.supervisor import ClusterSupervisor, Placement

    if not args.secret_file.is_file():
        raise ValueError(f"{args.secret_file}: no such secret file — write the gateway's secret in it")
    access = ServiceAccess(args.url, args.gateway, args.secret_file.read_text(encoding="utf-8").strip())
    cameras, ingest = plan_cluster(
        args.site,
        cameras=not args.no_cameras,
        overrides=args.camera,
        model=args.model,
        max_fps=args.max_fps,
        threads=args.threads,
        conf=args.conf,
        loop=args.loop,
        broker=args.mqtt,
        partitions=args.partitions,
    )
    placement = Placement(
        cpus_per_camera=args.cpus_per_camera,
        cpus_per_ingest=args.cpus_per_ingest,
        camera_resource=args.camera_resource,
        ingest_resource=args.ingest_resource,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.for_s is not None:
        timer = threading.Timer(args.for_s, stop.set)
        timer.daemon = True
        timer.start()
    with joined(args.address):
        supervisor = ClusterSupervisor(access, cameras, ingest, placement)
        try:
            first = supervisor.start()
            print(json.dumps({"placed": {name: s.node for name, s in first.statuses.items()}}), flush=True)

            def report(round_) -> None:
                for move in round_.moves:
                    print(json.dumps({"moved": vars(move)}), flush=True)

            supervisor.run(stop, every_s=args.check_every, on_round=report)
        except KeyboardInterrupt:
            pass
        finally:
            final = supervisor.stop()
    summary = {name: None if s is None else vars(s) for name, s in final.items()}
    print(json.dumps({"summary": summary}))
    return 0 if all(s is not None and s.error is None for s in final.values()) else 1
