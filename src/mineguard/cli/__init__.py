"""``mineguard`` command line: one sub-command group per area (detect, data, face, warn, demo, sim, serve,
site, audit, terrain, models, cluster).

User errors (bad files, bad config values, unknown names) print ``error: <what and how to
fix>`` and exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import logging
import sys

from mineguard import __version__
from mineguard.cli import bench, cluster, data, demo, detect, face, models, serve, sim, terrain, twin, warn, watch


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mineguard", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mineguard {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    detect.register(groups)
    bench.register(groups)
    cluster.register(groups)
    data.register(groups)
    face.register(groups)
    demo.register(groups)
    models.register(groups)
    serve.register(groups)
    sim.register(groups)
    terrain.register(groups)
    twin.register(groups)
    warn.register(groups)
    watch.register(groups)
    return parser


QUIET_LOGGERS = ("alembic", "httpx", "httpcore")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:  # libraries' chatter (a line per HTTP request of the simulated mine) only with -v
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    if not hasattr(args, "func"):
        parser.parse_args([args.group, "--help"])
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        if args.debug:
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted — a training run can be continued with --resume RUN_DIR/last.pt", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
