"""Two source trees' MQTT ingest, measured interleaved on the same harness (issue 21, "Throughput").

Runs ``benchmarks/bench_ingest_workers.py`` of each tree (``--base`` and ``--tree``, e.g. ``git archive main``
unpacked somewhere, and this worktree) in turn, ``--repeats`` times, each with ``PYTHONPATH=<tree>/src``, and
collects readings/s and CPU µs a reading per (backend, workers), with the load average before each run: on a
machine shared with other work, only rows measured side by side compare.

    .venv/bin/python benchmarks/ab_ingest_workers.py --base /tmp/main-tree --tree . --readings 20000 --write
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

from results_file import run_lines, write_section

RESULTS = Path(__file__).resolve().parents[1] / "docs/results/platform.md"


def run(tree: Path, args: argparse.Namespace) -> list[tuple[str, int, dict[str, float]]]:
    command = [sys.executable, "benchmarks/bench_ingest_workers.py", "--readings", str(args.readings)]
    command += ["--paced", "100", "--protocol", "3.1.1", "--partition", "device"]
    command += ["--workers", *map(str, args.workers), "--backends", *args.backends]
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True).stdout
    return [ast.literal_eval(line) for line in out.splitlines() if line.startswith("('")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the tree to compare against (e.g. main)")
    parser.add_argument("--tree", type=Path, default=Path("."), help="the tree under test")
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    lines = ["| round | tree | load (1 min) | backend | workers | readings/s | CPU µs/reading |", "|---" * 7 + "|"]
    for round_ in range(1, args.repeats + 1):
        for name, tree in (("main", args.base), ("branch", args.tree)):
            load = os.getloadavg()[0]
            for backend, workers, result in run(tree.resolve(), args):
                row = f"| {round_} | {name} | {load:.2f} | {backend.split(' (')[0]} | {workers} | "
                row += f"{result['readings/s']:.0f} | {result['CPU µs/reading']:.0f} |"
                lines.append(row)
                print(row, flush=True)
    table = "\n".join(lines)
    if args.write:
        workers = " ".join(map(str, args.workers))
        command = f"benchmarks/ab_ingest_workers.py --base <main tree> --readings {args.readings} --workers {workers}"
        command += f" --backends {' '.join(args.backends)} --repeats {args.repeats} --write"
        section = SECTION.format(provenance=run_lines(f".venv/bin/python {command}", load=True), table=table)
        write_section(RESULTS, section)
        print(f"wrote {RESULTS}")


SECTION = """
### Ingest worker processes, main against the faster MQTT receive path (A/B)

{provenance}

Each tree's own `bench_ingest_workers.py --protocol 3.1.1 --partition device --paced 100` (the service's
configuration: plain subscriptions, each sensor owned by one process), main then the branch, in rounds, on the
same machine. `load` is the 1-minute load average just before that tree's run (other sessions share the 2 cores).
PostgreSQL is the durable cluster (fsync and synchronous_commit on).

{table}
"""


if __name__ == "__main__":
    main()
