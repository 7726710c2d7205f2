"""``mineguard demo`` (the main job, ``make demo``): the simulated mine driving the real platform
(the four scenarios of seed 003 §4).

Headless with ``--duration N``: runs N seconds, prints the summary and exits 0 when every
scenario raised its alert and nothing else critical fired, else 1. With ``--port P`` the API
(docs, alerts, live stream) is served meanwhile; without ``--duration`` it runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path


def cmd_demo(args: argparse.Namespace) -> int:
    from mineguard.services.simulator.runner import run_demo
    from mineguard.services.simulator.scenarios import TIMELINE_S

    workdir = None
    database_url = args.database_url
    if database_url is None:  # a fresh database: old open alerts would hide this run's
        workdir = tempfile.TemporaryDirectory(prefix="mineguard-demo-")
        database_url = f"sqlite:///{Path(workdir.name) / 'mineguard-demo.db'}"

    def ready(app) -> None:
        if args.port is not None:
            if app.state.admin_password:
                print(f"super-manager 'admin' password: {app.state.admin_password!r}", file=sys.stderr)
            print(f"MineGuard API on http://127.0.0.1:{args.port} (docs at /docs)", file=sys.stderr)
        print(
            f"simulating the sample mine at speed {args.speed:g} (scenario timeline {TIMELINE_S:.0f} simulated s, "
            f"database {database_url})",
            file=sys.stderr,
        )

    stop = threading.Event()
    try:
        summary = run_demo(
            args.duration,
            database_url=database_url,
            port=args.port,
            speed=args.speed,
            seed=args.seed,
            stop=stop,
            on_ready=ready,
        )
    except KeyboardInterrupt:  # pragma: no cover - interactive
        stop.set()
        return 130
    finally:
        if workdir is not None:
            workdir.cleanup()
    print(summary.format())
    return 0 if summary.ok else 1


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("demo", help="run the simulated mine and its four scenarios against the platform")
    p.add_argument(
        "--duration",
        type=float,
        help="wall seconds to run (default: until Ctrl-C); the scenario timeline takes 150 / speed s",
    )
    p.add_argument("--port", type=int, help="also serve the API on this port while the demo runs")
    p.add_argument("--database-url", help="sqlite:///file.db or postgresql://... (default: a fresh temporary SQLite)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the simulation (default 0)")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second (default 1)")
    p.set_defaults(func=cmd_demo)
