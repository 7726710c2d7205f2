"""Hazard-state prediction on the seismic-bumps shifts of a Polish coal mine (seed 003 §3.3, issue #6).

Data: UCI seismic-bumps (Sikora M., Wróbel Ł., Archives of Mining Sciences 55(1), 2010, 91-114),
one row per 8-hour shift of two longwalls, in time order; ``class`` 1 = a bump above 10^4 J in
the NEXT shift (about 7 % of the shifts). Inputs are the mine's routine hazard assessments
(``seismic``, ``seismoacoustic``, ``ghazard``: a = lack of hazard, b = low, c = high, d = danger),
the shift type (W coal-getting, N preparation) and 14 counts and energies of the previous shift.

- ``load_seismic_bumps``: the CSV, with errors naming file, line and field;
- ``shift_split``: train / validation / test in file (time) order, never shuffled;
- ``time_folds``: expanding-window folds inside the training shifts, to choose hyper-parameters on
  later shifts than those fitted (never on the test);
- ``SeismicEncoder``: one-hot or ordinal categoricals; numeric columns asinh-compressed (the
  energies span 10^2..10^6 J) and standardised with TRAINING statistics only;
- ``hazard_level`` / ``rule_alarm``: the rule baseline, the mine's own assessment as an ordinal
  score 0..3 and as an alarm (level >= b, or >= c).

The learned hazard models that take the encoded shifts are in ``seismic_models``.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from mineguard.data.errors import DatasetError

HAZARD_LEVELS = ("a", "b", "c", "d")  # lack of hazard, low, high, danger state
CATEGORICAL: dict[str, tuple[str, ...]] = {
    "seismic": HAZARD_LEVELS,
    "seismoacoustic": HAZARD_LEVELS,
    "shift": ("N", "W"),  # preparation, coal-getting
    "ghazard": HAZARD_LEVELS,
}
NUMERIC = (
    "genergy",
    "gpuls",
    "gdenergy",
    "gdpuls",
    "nbumps",
    "nbumps2",
    "nbumps3",
    "nbumps4",
    "nbumps5",
    "nbumps6",
    "nbumps7",
    "nbumps89",
    "energy",
    "maxenergy",
)
SIGNED = ("gdenergy", "gdpuls")  # deviations (%) from the mean of the 8 previous shifts; the rest are >= 0
LABEL = "class"
COLUMNS = (*CATEGORICAL, *NUMERIC, LABEL)


@dataclass(frozen=True, eq=False)
class SeismicShifts:
    """Shifts in time order: ``categorical[name]`` (N,) str, ``numeric`` (N, 14) float64 in the order
    of ``NUMERIC`` (energies J, counts, deviations %), ``labels`` (N,) int64 0/1."""

    categorical: dict[str, np.ndarray]
    numeric: np.ndarray
    labels: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def take(self, index: slice | np.ndarray) -> SeismicShifts:
        """The shifts at ``index`` (a slice or integer array), order kept."""
        cats = {k: v[index] for k, v in self.categorical.items()}
        return SeismicShifts(cats, self.numeric[index], self.labels[index], self.source)


def load_seismic_bumps(path: str | Path) -> SeismicShifts:
    """Read a seismic-bumps CSV (header + one row per shift, the 19 UCI columns in any order).

    Raises:
        DatasetError: the file is missing, a column is missing, or a field is not valid; the
            message names ``file:line`` and the field.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: file not found — pass the seismic-bumps CSV "
            "(e.g. ../shared/data/sensors/seismic_bumps/seismic-bumps-dev.csv)"
        )
    cats: dict[str, list[str]] = {k: [] for k in CATEGORICAL}
    numeric: list[list[float]] = []
    labels: list[int] = []
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise DatasetError(
                f"{path}:1: header lacks {', '.join(repr(c) for c in missing)} — expected the "
                f"seismic-bumps columns {', '.join(COLUMNS)}"
            )
        col = {name: header.index(name) for name in COLUMNS}
        for row in reader:
            if not row or all(not v.strip() for v in row):
                continue
            where = f"{path}:{reader.line_num}"
            if len(row) != len(header):
                raise DatasetError(f"{where}: {len(row)} fields but the header has {len(header)}")
            for name, allowed in CATEGORICAL.items():
                value = row[col[name]].strip()
                if value not in allowed:
                    raise DatasetError(f"{where}: field '{name}' = '{value}' — expected one of {', '.join(allowed)}")
                cats[name].append(value)
            numeric.append([_number(row[col[name]], name, where) for name in NUMERIC])
            label = row[col[LABEL]].strip()
            if label not in ("0", "1"):
                raise DatasetError(f"{where}: field '{LABEL}' = '{label}' — expected 0 or 1")
            labels.append(int(label))
    if not labels:
        raise DatasetError(f"{path}: no data rows after the header")
    return SeismicShifts(
        {k: np.array(v) for k, v in cats.items()},
        np.array(numeric, dtype=np.float64),
        np.array(labels, dtype=np.int64),
        str(path),
    )


def _number(text: str, name: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DatasetError(f"{where}: field '{name}' = '{text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise DatasetError(f"{where}: field '{name}' = '{text.strip()}' is not a finite number")
    if value < 0 and name not in SIGNED:
        raise DatasetError(f"{where}: field '{name}' = {value:g} is negative — it is an energy or a count")
    return value


@dataclass(frozen=True)
class ShiftSplit:
    """Contiguous slices of the shifts, in time order: train < val < test."""

    train: slice
    val: slice
    test: slice


def shift_split(n: int, *, test_frac: float = 0.25, val_frac: float = 0.2) -> ShiftSplit:
    """Split n time-ordered shifts: the first for training, then validation, the last for test.

    Args:
        n: number of shifts.
        test_frac: fraction of all n for the test (the latest shifts).
        val_frac: fraction of all n for validation (the shifts just before the test), for
            thresholds and early stopping; 0 for none.
    """
    if not (0 < test_frac < 1 and 0 <= val_frac < 1 and test_frac + val_frac < 1):
        raise ValueError(f"need 0 < test_frac, 0 <= val_frac, test_frac + val_frac < 1; got {test_frac}, {val_frac}")
    n_test = max(1, round(n * test_frac))
    n_val = max(1, round(n * val_frac)) if val_frac > 0 else 0
    n_train = n - n_test - n_val
    if n_train < 1:
        raise ValueError(f"{n} shifts are too few for test_frac={test_frac}, val_frac={val_frac}")
    return ShiftSplit(slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n))


def time_folds(n: int, *, first_val: float = 0.45, n_folds: int = 4) -> list[tuple[slice, slice]]:
    """Expanding-window folds over n time-ordered shifts: fold k fits on [0, v_k) and validates on [v_k, v_k+1).

    The validation blocks are contiguous, of (nearly) equal size, and cover [round(first_val * n), n):
    every validation shift comes after every shift its model was fitted on.

    Args:
        n: number of shifts (the training part only; the test stays out).
        first_val: where the first validation block starts, as a fraction of n.
        n_folds: number of validation blocks.
    """
    if not 0 < first_val < 1 or n_folds < 1:
        raise ValueError(f"need 0 < first_val < 1 and n_folds >= 1, got {first_val}, {n_folds}")
    edges = np.linspace(round(first_val * n), n, n_folds + 1).round().astype(int)
    if edges[0] < 1 or np.any(np.diff(edges) < 1):
        raise ValueError(f"{n} shifts are too few for {n_folds} validation blocks from {first_val:.0%}")
    return [(slice(0, int(a)), slice(int(a), int(b))) for a, b in itertools.pairwise(edges.tolist())]


class SeismicEncoder:
    """Shifts -> (N, F) float32 features; numeric statistics come from ``fit`` (the training shifts) only.

    Categoricals: "onehot" gives one column per level (a..d, and shift W as 0/1); "ordinal" gives
    level index / 3 in [0, 1]. Numeric: asinh (log-like for large energies, defined for the signed
    deviations) when ``compress``, then (x - mean) / sd with the training mean and sd (sd 1 for a
    column that is constant in training).
    """

    def __init__(self, *, categorical: Literal["onehot", "ordinal"] = "onehot", compress: bool = True) -> None:
        if categorical not in ("onehot", "ordinal"):
            raise ValueError(f"categorical must be 'onehot' or 'ordinal', got '{categorical}'")
        self.categorical = categorical
        self.compress = compress
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _numeric(self, shifts: SeismicShifts) -> np.ndarray:
        return np.arcsinh(shifts.numeric) if self.compress else shifts.numeric

    def fit(self, shifts: SeismicShifts) -> SeismicEncoder:
        x = self._numeric(shifts)
        self.mean_ = x.mean(axis=0)
        sd = x.std(axis=0)
        self.scale_ = np.where(sd > 1e-12, sd, 1.0)
        return self

    def transform(self, shifts: SeismicShifts) -> np.ndarray:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("SeismicEncoder is not fitted — call fit(training shifts) first")
        parts = [self._categorical(name, shifts.categorical[name], levels) for name, levels in CATEGORICAL.items()]
        parts.append((self._numeric(shifts) - self.mean_) / self.scale_)
        return np.concatenate(parts, axis=1).astype(np.float32)

    def fit_transform(self, shifts: SeismicShifts) -> np.ndarray:
        return self.fit(shifts).transform(shifts)

    def _categorical(self, name: str, values: np.ndarray, levels: tuple[str, ...]) -> np.ndarray:
        index = np.searchsorted(np.array(levels), values)  # levels are sorted
        if name == "shift":
            return index[:, None].astype(np.float64)  # W = 1
        if self.categorical == "ordinal":
            return (index / (len(levels) - 1))[:, None]
        return np.eye(len(levels))[index]

    @property
    def feature_names(self) -> list[str]:
        names = []
        for name, levels in CATEGORICAL.items():
            if name == "shift":
                names.append("shift=W")
            elif self.categorical == "ordinal":
                names.append(name)
            else:
                names += [f"{name}={level}" for level in levels]
        return names + [f"asinh({n})" if self.compress else n for n in NUMERIC]


def hazard_level(shifts: SeismicShifts, *, column: str = "ghazard") -> np.ndarray:
    """(N,) float 0..3: the mine's assessment in ``column`` (a = 0 lack of hazard ... d = 3 danger)."""
    if column not in ("seismic", "seismoacoustic", "ghazard"):
        raise ValueError(f"column must be 'seismic', 'seismoacoustic' or 'ghazard', got '{column}'")
    return np.searchsorted(np.array(HAZARD_LEVELS), shifts.categorical[column]).astype(np.float64)


def rule_alarm(shifts: SeismicShifts, *, at_least: str = "b", column: str = "ghazard") -> np.ndarray:
    """(N,) bool: the rule alarm, ``column`` at level ``at_least`` or above (b = low hazard and up)."""
    if at_least not in HAZARD_LEVELS:
        raise ValueError(f"at_least must be one of {', '.join(HAZARD_LEVELS)}, got '{at_least}'")
    return hazard_level(shifts, column=column) >= HAZARD_LEVELS.index(at_least)
