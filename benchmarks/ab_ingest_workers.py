"""Two source trees' MQTT ingest, measured interleaved on the same harness (issue 21, "Throughput").

Runs ``benchmarks/bench_ingest_workers.py`` of each tree (``--base`` and ``--tree``, e.g. ``git archive main``
unpacked somewhere, and this worktree) in turn, ``--repeats`` times, each with ``PYTHONPATH=<tree>/src``, and
collects readings/s and CPU µs a reading per (backend, workers, readings a message), with the load average
before each run, then the median of the rounds per tree: on a machine whose speed drifts from minute to minute
(other virtual machines share its cores), only rows measured side by side compare, and several rounds are needed.
``--change`` names what the branch changes: the heading of its section in ``docs/results/platform.md``.

    .venv/bin/python benchmarks/ab_ingest_workers.py --base /tmp/main-tree --tree . --readings 20000 --write
    .venv/bin/python benchmarks/ab_ingest_workers.py --base /tmp/main-tree --readings 50000 --workers 2 \
        --per-message 50 --repeats 5 --change "binary COPY" --write
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from results_file import median_range, run_lines, write_section

RESULTS = Path(__file__).resolve().parents[1] / "docs/results/platform.md"


def run(tree: Path, args: argparse.Namespace) -> list[tuple[str, int, int, dict[str, float]]]:
    """(backend, workers, readings a message, figures) of each row of one run of ``tree``'s bench."""
    command = [sys.executable, "benchmarks/bench_ingest_workers.py", "--readings", str(args.readings)]
    command += ["--paced", "100", "--protocol", "3.1.1", "--partition", "device"]
    command += ["--workers", *map(str, args.workers), "--backends", *args.backends]
    command += ["--per-message", *map(str, args.per_message)]
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True).stdout
    rows = [ast.literal_eval(line) for line in out.splitlines() if line.startswith("('")]
    return [row if len(row) == 4 else (row[0], row[1], 1, row[2]) for row in rows]  # a tree before batches: 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the tree to compare against (e.g. main)")
    parser.add_argument("--tree", type=Path, default=Path("."), help="the tree under test")
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--per-message", type=int, nargs="+", default=[1], help="readings a message (batches)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--change", default="the faster MQTT receive path", help="what the branch changes")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    head = "| round | tree | load (1 min) | backend | workers | readings a message | readings/s | CPU µs/reading |"
    lines = [head, "|---" * 8 + "|"]
    seen: dict[tuple[str, str, int, int], list[dict[str, float]]] = defaultdict(list)
    for round_ in range(1, args.repeats + 1):
        for name, tree in (("main", args.base), ("branch", args.tree)):
            load = os.getloadavg()[0]
            for backend, workers, per_message, result in run(tree.resolve(), args):
                backend = backend.split(" (")[0]
                seen[(name, backend, workers, per_message)].append(result)
                row = f"| {round_} | {name} | {load:.2f} | {backend} | {workers} | {per_message} | "
                row += f"{result['readings/s']:.0f} | {result['CPU µs/reading']:.0f} |"
                lines.append(row)
                print(row, flush=True)
    medians = [
        "| tree | backend | workers | readings a message | runs | readings/s: median (range) | "
        "CPU µs/reading: median (range) |",
        "|---" * 7 + "|",
    ]
    for (name, backend, workers, per_message), results in sorted(seen.items(), key=lambda kv: kv[0][1:] + kv[0][:1]):
        cells = [median_range([result[key] for result in results]) for key in ("readings/s", "CPU µs/reading")]
        medians.append(f"| {name} | {backend} | {workers} | {per_message} | {len(results)} | {' | '.join(cells)} |")
    print("\n".join(medians))
    if args.write:
        command = f"benchmarks/ab_ingest_workers.py --base <main tree> --readings {args.readings}"
        command += f" --workers {' '.join(map(str, args.workers))} --backends {' '.join(args.backends)}"
        command += f" --per-message {' '.join(map(str, args.per_message))} --repeats {args.repeats}"
        command += f' --change "{args.change}" --write'
        section = SECTION.format(
            change=args.change,
            provenance=run_lines(f".venv/bin/python {command}", load=True),
            table="\n".join(lines),
            medians="\n".join(medians),
        )
        write_section(RESULTS, section)
        print(f"wrote {RESULTS}")


SECTION = """
### Ingest worker processes, main against {change} (A/B)

{provenance}

Each tree's own `bench_ingest_workers.py --protocol 3.1.1 --partition device --paced 100` (the service's
configuration: plain subscriptions, each sensor owned by one process), main then the branch, in rounds, on the
same machine. `load` is the 1-minute load average just before that tree's run. PostgreSQL is the durable
cluster (fsync and synchronous_commit on).

{table}

Median of the rounds:

{medians}
"""


if __name__ == "__main__":
    main()
