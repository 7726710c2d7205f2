"""``mineguard sim``: the simulated mine driving an already running ``mineguard serve``, as a client.

Readings go over MQTT (``--mqtt HOST:PORT``, the broker the service subscribes to) or HTTP
(``--http-readings``, the default); gateway registration, tag fixes, camera events and the summary
go over HTTP with the given user (a super-manager or manager: it registers gateways and pairs tags).
Exit status: 0 when every scenario of the site's scenario file raised its alert and nothing else
critical fired, 1 when not, 2 for a user error (bad option, file, credentials, unreachable service).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path


def host_port(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (argparse type)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT — e.g. 127.0.0.1:1883")
    return host, int(port)


def check_pace(args: argparse.Namespace) -> None:
    if args.duration is not None and args.duration <= 0:
        raise ValueError(f"duration must be > 0 seconds, got {args.duration:g}")
    if args.speed <= 0:
        raise ValueError(f"speed must be > 0 (simulated seconds per wall second), got {args.speed:g}")


def drive(sim, client, publisher, args: argparse.Namespace) -> int:
    """Run the simulation, print the summary; 0 when every scenario raised its alert, else 1."""
    from mineguard.sim.client import ServiceError
    from mineguard.sim.runner import run

    stop = threading.Event()
    print(
        f"simulating {sim.site.id} ({sim.source}) at speed {args.speed:g}: scenario timeline "
        f"{sim.script.timeline_s:.0f} simulated s, readings over {publisher.describe()}",
        file=sys.stderr,
    )
    try:
        summary = run(sim, client, publisher, duration_s=args.duration, speed=args.speed, seed=args.seed, stop=stop)
    except ServiceError as exc:
        raise ValueError(str(exc)) from None
    finally:
        publisher.close()
    print(summary.format())
    return 0 if summary.ok else 1


def cmd_sim(args: argparse.Namespace) -> int:
    from mineguard.sim.client import ServiceClient, ServiceError
    from mineguard.sim.publish import HttpPublisher, MqttPublisher
    from mineguard.sim.script import load_sim

    check_pace(args)
    if not args.password_file.is_file():
        raise ValueError(f"{args.password_file}: no such password file — write the user's password in it")
    password = args.password_file.read_text(encoding="utf-8").strip()
    sim = load_sim(args.site)
    with ServiceClient(args.url, args.user, password) as client:
        try:
            client.login()
            publisher = MqttPublisher(*args.mqtt) if args.mqtt else HttpPublisher(client)
        except ServiceError as exc:
            raise ValueError(str(exc)) from None
        return drive(sim, client, publisher, args)


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", type=Path, help="site YAML, its <name>.scenarios.yaml beside it (default: the sample)")
    p.add_argument(
        "--duration",
        type=float,
        help="wall seconds to run (default: until Ctrl-C); the scenario timeline takes timeline_s / speed s",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the simulation (default 0)")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second (default 1)")


def register(groups: argparse._SubParsersAction) -> None:
    p = groups.add_parser("sim", help="drive a running `mineguard serve` with the simulated mine (a pure client)")
    p.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8000")
    p.add_argument("--user", required=True, help="a super-manager (or manager) account")
    p.add_argument("--password-file", type=Path, required=True, help="a file holding the user's password")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--mqtt", type=host_port, metavar="HOST:PORT", help="publish readings to this MQTT broker")
    how.add_argument("--http-readings", action="store_true", help="POST readings to /api/v1/readings (default)")
    add_run_options(p)
    p.set_defaults(func=cmd_sim)
