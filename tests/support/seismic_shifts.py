"""Generated seismic-bumps shifts for the seismic tests: rows whose hazard depends on two inputs, and a CSV writer."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from mineguard.warning.seismic import COLUMNS


def generated_rows(n: int, *, seed: int = 0) -> list[dict[str, object]]:
    """Shifts whose hazard depends on the pulse count and the seismic assessment (about 15 % positive)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        gpuls = float(np.round(rng.lognormal(5.5, 1.0)))
        seismic = "ab"[int(rng.random() < 0.3)]
        logit = -3.0 + 1.5 * (np.log(gpuls) - 5.5) + 1.0 * (seismic == "b")
        row: dict[str, object] = {
            "seismic": seismic,
            "seismoacoustic": "abc"[rng.integers(0, 3)],
            "shift": "WN"[rng.integers(0, 2)],
            "genergy": float(np.round(rng.lognormal(10, 1.5))),
            "gpuls": gpuls,
            "gdenergy": float(rng.integers(-90, 200)),
            "gdpuls": float(rng.integers(-90, 200)),
            "ghazard": "ab"[int(rng.random() < 0.1)],
        }
        counts = rng.poisson(0.5, 4)
        row |= {f"nbumps{k}": int(c) for k, c in zip((2, 3, 4, 5), counts, strict=True)}
        row |= {"nbumps": int(counts.sum()), "nbumps6": 0, "nbumps7": 0, "nbumps89": 0}
        row["energy"] = row["maxenergy"] = int(counts[1]) * 2000
        row["class"] = int(rng.random() < 1 / (1 + np.exp(-logit)))
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, object]], columns: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
