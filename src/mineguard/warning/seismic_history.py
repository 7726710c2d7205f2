"""Features over the previous shifts of the seismic-bumps series (issue #18), past rows only.

A shift's row holds what was recorded in that shift; its label is a bump above 10^4 J in the NEXT
shift. So the high-energy bumps of a shift (``nbumps4`` .. ``nbumps89`` > 0) equal the previous row's
label — on the real dev file for all 2,061 consecutive pairs — and any statistic of rows <= t is
known when shift t ends. Every feature here at row t reads rows t-w+1 .. t only (shorter at the start
of the series); none looks ahead, so the series must be given whole and in time order, and split
afterwards (the test shifts then see the development shifts before them, as a deployed model would).

- ``trailing_mean`` / ``trailing_slope``: the mean and the least-squares slope (per shift, through
  ``warning.slope``) of a signal over the last ``window`` shifts;
- ``high_energy_bumps``: (N,) bool, a bump of 10^4 J or more in the shift itself;
- ``rule_levels``: the mine's three published assessments as ordinal levels 0..3 and the shift type,
  the inputs of the rule-stacked model;
- ``shift_features``: the named parts (``rules``, ``activity``, ``counts``, ``history``) stacked into
  one (N, F) matrix with column names; standardise with training statistics downstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mineguard.warning.seismic import NUMERIC, SeismicShifts, hazard_level
from mineguard.warning.slope import ols_slope

HIGH_ENERGY = ("nbumps4", "nbumps5", "nbumps6", "nbumps7", "nbumps89")  # bumps of 10^4 J and more
PARTS = ("rules", "activity", "counts", "history")
TREND_SIGNALS = ("log_energy", "log_gpuls")  # the energy and pulse-count trends


def trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    """(N,) -> (N,): at t the mean of x[t-window+1 .. t] (of x[0 .. t] while t < window - 1)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D (one value per shift), got shape {x.shape}")
    if window < 1:
        raise ValueError(f"window must be >= 1 shift, got {window}")
    total = np.concatenate([[0.0], np.cumsum(x)])
    t = np.arange(x.size)
    start = np.maximum(0, t - window + 1)
    return (total[t + 1] - total[start]) / (t + 1 - start)


def trailing_slope(x: np.ndarray, window: int) -> np.ndarray:
    """(N,) -> (N,): at t the least-squares slope of x over shifts t-window+1 .. t, per shift.

    Fewer than 2 shifts so far give 0 (no trend yet), not NaN.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D (one value per shift), got shape {x.shape}")
    if window < 2:
        raise ValueError(f"a slope needs window >= 2 shifts, got {window}")
    padded = np.concatenate([np.full(window - 1, np.nan), x])
    lines = np.lib.stride_tricks.sliding_window_view(padded, window)  # (N, window), row t ends at t
    slope = ols_slope(np.arange(window, dtype=float), lines, axis=1, nan_policy="omit")
    return np.nan_to_num(slope, nan=0.0)


def high_energy_bumps(shifts: SeismicShifts) -> np.ndarray:
    """(N,) bool: at least one bump of 10^4 J or more recorded in the shift (= the previous row's label)."""
    cols = [NUMERIC.index(name) for name in HIGH_ENERGY]
    return shifts.numeric[:, cols].sum(axis=1) > 0


def rule_levels(shifts: SeismicShifts) -> tuple[np.ndarray, list[str]]:
    """(N, 4): ``seismic``, ``seismoacoustic``, ``ghazard`` as levels 0 (a) .. 3 (d), and shift W = 1."""
    columns = [hazard_level(shifts, column=c) for c in ("seismic", "seismoacoustic", "ghazard")]
    columns.append((shifts.categorical["shift"] == "W").astype(float))
    return np.column_stack(columns), ["seismic", "seismoacoustic", "ghazard", "shift=W"]


def _history_signals(shifts: SeismicShifts) -> dict[str, np.ndarray]:
    def log1p(name: str) -> np.ndarray:
        return np.log1p(shifts.numeric[:, NUMERIC.index(name)])

    return {
        "high_energy_bump": high_energy_bumps(shifts).astype(float),
        "log_energy": log1p("energy"),
        "log_gpuls": log1p("gpuls"),
        "log_genergy": log1p("genergy"),
        "seismic_level": hazard_level(shifts, column="seismic"),
        "coal_getting": (shifts.categorical["shift"] == "W").astype(float),
    }


@dataclass(frozen=True, eq=False)
class ShiftFeatures:
    """``values`` (N, F) float64, one row per shift in time order; ``names`` (F,) column names."""

    values: np.ndarray
    names: list[str]


def shift_features(
    shifts: SeismicShifts, *, parts: Sequence[str] = ("rules", "history"), windows: Sequence[int] = (3, 27)
) -> ShiftFeatures:
    """The named ``parts`` of each shift's features, from that shift and the ones before it only.

    Parts: ``rules`` (``rule_levels``, 4 columns); ``activity`` (asinh of the shift's ``genergy`` and
    ``gpuls``, 2); ``counts`` (asinh of all 14 counts and energies, 14); ``history`` (for each window w:
    the trailing means of high-energy bumps, log energy, log pulses, log geophone energy, the seismic
    level and the coal-getting share, and, for w >= 3, the trailing slopes of log energy and log pulses).

    Args:
        shifts: the whole series in time order (split afterwards, so history crosses the split).
        parts: which parts, in this order; at least one of ``PARTS``.
        windows: trailing windows in shifts (3 shifts = one day) for ``history``.
    """
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise ValueError(f"parts must be a non-empty selection of {', '.join(PARTS)}; got {list(parts)}")
    columns: list[np.ndarray] = []
    names: list[str] = []
    for part in parts:
        if part == "rules":
            levels, level_names = rule_levels(shifts)
            columns += list(levels.T)
            names += level_names
        elif part in ("activity", "counts"):
            chosen = ("genergy", "gpuls") if part == "activity" else NUMERIC
            columns += [np.arcsinh(shifts.numeric[:, NUMERIC.index(c)]) for c in chosen]
            names += [f"asinh({c})" for c in chosen]
        else:
            signals = _history_signals(shifts)
            for w in windows:
                columns += [trailing_mean(x, w) for x in signals.values()]
                names += [f"mean{w}({s})" for s in signals]
                if w >= 3:
                    columns += [trailing_slope(signals[s], w) for s in TREND_SIGNALS]
                    names += [f"slope{w}({s})" for s in TREND_SIGNALS]
    return ShiftFeatures(np.column_stack(columns), names)
