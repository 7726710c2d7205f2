"""Figure: YOLOv10-N vs CA-YOLOv10n on real helmet data, and seed 001's Table 6 ablation.

Merges ../shared/data/helmets (roboflow_v3 + shwd_dev -> helmet / no_helmet) into
data_cache/helmets if it is not there, trains every ablation row with one budget
(configs/helmets_cpu320.yaml by default; finished rows are reused, interrupted rows resume),
scores best.pt on the test split, and writes the tables to docs/results/detector_runs.json.

    .venv/bin/python benchmarks/helmet_detector.py [--config configs/helmets_cpu320.yaml] [--out runs/helmets320]

Rows can run in parallel processes (``--rows baseline`` in one, ``--rows ca_dyhead_eiou`` in
another, ``--threads 1`` each); run once more without ``--rows`` to collect the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from pathlib import Path

import torch
import yaml

from mineguard.data.remap import HELMET_NAMES, helmet_sources, merge_sources
from mineguard.engine.ablation import ABLATION_ROWS, run_ablation

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "helmets_cpu320.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "helmets320")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data" / "helmets")
    parser.add_argument("--rows", default=",".join(ABLATION_ROWS))
    parser.add_argument("--threads", type=int)
    parser.add_argument("--results", type=Path, default=ROOT / "docs" / "results" / "detector_runs.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    values = yaml.safe_load(args.config.read_text())
    data_yaml = ROOT / values["data"]
    if not data_yaml.is_file():
        print(merge_sources(helmet_sources(args.shared), HELMET_NAMES, data_yaml.parent).format())
    values["data"] = str(data_yaml)
    rows = {r: ABLATION_ROWS[r] for r in args.rows.split(",")}
    table = run_ablation(values, rows, args.out, eval_split="test")
    print(table)
    ablation = json.loads((args.out / "ablation.json").read_text())
    record = {
        "command": f"python benchmarks/helmet_detector.py --config {args.config.name} --rows {args.rows}",
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "config": yaml.safe_load(args.config.read_text()),
        "rows": ablation["rows"],
        "per_row": {r: json.loads((args.out / r / "metrics_test.json").read_text()) for r in rows},
    }
    if args.rows == ",".join(ABLATION_ROWS):
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(record, indent=2))
        print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
