"""Sensor time series for forecasting: load, put on a regular clock, report the gaps.

Seed 003 §3.1 asks for cleansing and "temporal alignment" of sensor streams before a Transformer
(§3.2) forecasts them (§3.3, "predicting methane concentration trajectories"). Real streams are
irregular (the DIGIT quarry logger reports every 29-31 s, sometimes 10 s, and is silent for hours
overnight and for 27 days in August 2022), so every step here is explicit about time:

1. ``load_sensor_csv`` reads ``created_at`` (ISO 8601) and the value columns; bad input raises
   ``SeriesError`` naming the file, line and field. Empty fields are missing readings (NaN).
2. ``resample`` bins readings onto a regular grid (default 30 s; several readings in one cell are
   averaged; the core is ``sensing/align.py``'s ``bin_means`` and ``fill_short_gaps``, centred
   cells) with a per-step, per-sensor ``observed`` mask. Runs of empty cells are filled by a
   straight line between the flanking readings ONLY when the flanking readings are at most
   ``max_fill_s`` apart (default 90 s: up to two missed 30 s readings); those cells are marked
   ``filled``. Longer gaps stay NaN and are never interpolated.
3. ``report_gaps`` counts the silences between readings longer than ``max_fill_s``.

``DIGIT_FIELDS`` names the seven DIGIT fields as the data README guesses them; that mapping is
UNVERIFIED (the source publishes no field list), so results name fields with the guess beside them.

Cutting the clock into supervised windows and splitting them by time is ``series_windows``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from mineguard.warning.sensing.align import bin_means, fill_short_gaps

# The data README's guess for the DIGIT underground-quarry logger (EU Dig_IT project). UNVERIFIED.
DIGIT_FIELDS: dict[str, str] = {
    "field1": "temperature",
    "field2": "humidity",
    "field3": "pm2_5",
    "field4": "pm10",
    "field5": "no2",
    "field6": "co",
    "field7": "nh4",
}


class SeriesError(ValueError):
    """A sensor file or series that cannot be used; the message says where and what to do."""


@dataclass(frozen=True)
class SensorSeries:
    """Readings as logged: ``t_s`` (N,) epoch seconds ascending, ``values`` (N, S) in sensor units, NaN = empty."""

    t_s: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]
    source: str = ""
    n_reordered: int = 0  # rows that were out of time order in the file (sorted here, stably)

    def __post_init__(self) -> None:
        if self.t_s.ndim != 1 or self.values.shape != (self.t_s.size, len(self.names)):
            raise SeriesError(
                f"t_s {self.t_s.shape} and values {self.values.shape} do not match {len(self.names)} names"
            )
        if self.t_s.size and np.any(np.diff(self.t_s) < 0):
            raise SeriesError("t_s must be ascending — build a SensorSeries with from_unsorted()")

    @classmethod
    def from_unsorted(cls, t_s: np.ndarray, values: np.ndarray, names: Sequence[str], source: str = "") -> SensorSeries:
        t = np.asarray(t_s, dtype=float)
        order = np.argsort(t, kind="stable")
        n_reordered = int(np.count_nonzero(order != np.arange(t.size)))
        return cls(t[order], np.asarray(values, dtype=float)[order], tuple(names), source, n_reordered)

    def select(self, names: Sequence[str]) -> SensorSeries:
        missing = [n for n in names if n not in self.names]
        if missing:
            raise SeriesError(f"no sensor named {missing} in {self.source or 'the series'} — choose from {self.names}")
        columns = [self.names.index(n) for n in names]
        return replace(self, values=self.values[:, columns], names=tuple(names))


def _parse_time(text: str, where: str) -> float:
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SeriesError(
            f"{where}: created_at '{text}' is not an ISO 8601 time (e.g. 2022-08-02T09:09:54+00:00)"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)  # a time without a zone is read as UTC
    return stamp.timestamp()


def load_sensor_csv(
    path: str | Path, *, columns: Mapping[str, str] | None = None, time_column: str = "created_at"
) -> SensorSeries:
    """Read a ThingSpeak-style CSV (``created_at``, ``field1``..``field7``, ...) into a ``SensorSeries``.

    ``columns`` maps file columns to sensor names (default ``DIGIT_FIELDS``, an unverified guess).
    Empty and non-finite fields are missing readings (NaN); text that is not a number is an error.
    Rows out of time order are sorted (counted in ``n_reordered``).
    """
    path = Path(path)
    columns = dict(DIGIT_FIELDS if columns is None else columns)
    if not path.is_file():
        raise SeriesError(f"{path}: no such file — pass the path of the sensor CSV")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        absent = [c for c in (time_column, *columns) if c not in header]
        if absent:
            raise SeriesError(
                f"{path}: column(s) {absent} missing from the header {header} — "
                f"is this a ThingSpeak export with '{time_column}' and field columns?"
            )
        times: list[float] = []
        rows: list[list[float]] = []
        for record in reader:
            where = f"{path}:{reader.line_num}"
            if None in record:
                raise SeriesError(f"{where}: more values than header columns — check the delimiter and quoting")
            times.append(_parse_time(record[time_column] or "", where))
            row = []
            for column in columns:
                text = (record[column] or "").strip()
                try:
                    value = float(text) if text else math.nan
                except ValueError:
                    raise SeriesError(
                        f"{where}: {column} = '{text}' is not a number (leave it empty if missing)"
                    ) from None
                row.append(value if math.isfinite(value) else math.nan)
            rows.append(row)
    if not times:
        raise SeriesError(f"{path}: no data rows under the header")
    return SensorSeries.from_unsorted(
        np.array(times), np.array(rows).reshape(len(rows), len(columns)), tuple(columns.values()), str(path)
    )


@dataclass(frozen=True)
class RegularSeries:
    """Readings on a regular clock: step ``i`` is at ``t0_s + i * step_s``.

    ``values`` (T, S) sensor units, NaN where missing; ``observed`` (T, S) a reading fell in the cell
    (cell = step +- step_s / 2, several readings averaged); ``filled`` (T, S) a straight line across
    a short gap (flanking readings at most ``max_fill_s`` apart). ``valid`` = observed or filled.
    """

    t0_s: float
    step_s: float
    values: np.ndarray
    observed: np.ndarray
    filled: np.ndarray
    names: tuple[str, ...]
    max_fill_s: float

    @property
    def t_s(self) -> np.ndarray:
        return self.t0_s + self.step_s * np.arange(self.values.shape[0])

    @property
    def valid(self) -> np.ndarray:
        return self.observed | self.filled


def resample(series: SensorSeries, *, step_s: float = 30.0, max_fill_s: float = 90.0) -> RegularSeries:
    """Bin ``series`` onto a grid of ``step_s`` seconds and fill only gaps of at most ``max_fill_s``."""
    if step_s <= 0 or max_fill_s < 0:
        raise SeriesError(f"step_s must be > 0 and max_fill_s >= 0, got {step_s} and {max_fill_s}")
    if series.t_s.size == 0:
        raise SeriesError(f"{series.source or 'the series'} has no readings to resample")
    t0 = math.floor(series.t_s[0] / step_s) * step_s
    n_steps = int(np.floor((series.t_s[-1] - t0) / step_s + 0.5)) + 1
    grid = t0 + step_s * np.arange(n_steps)
    values, counts = bin_means(series.t_s, series.values, grid, step_s, cells="centred")
    observed = counts > 0
    filled = fill_short_gaps(values, observed, step_s, max_fill_s)
    return RegularSeries(float(t0), float(step_s), values, observed, filled, series.names, float(max_fill_s))


@dataclass(frozen=True)
class GapReport:
    """Silences between readings longer than ``max_fill_s`` (never interpolated), and grid coverage."""

    n_readings: int
    first_s: float
    last_s: float
    median_interval_s: float
    n_duplicate_times: int
    n_reordered: int
    max_fill_s: float
    gaps: tuple[tuple[float, float], ...]  # (last reading before, first reading after), epoch seconds
    n_short_gaps: int  # silences over 1.5 steps but at most max_fill_s (filled on the grid)
    n_steps: int
    n_observed_steps: int  # every sensor observed
    n_filled_steps: int  # every sensor observed or filled, at least one filled
    n_missing_values: dict[str, int] = field(default_factory=dict)  # grid cells left NaN, per sensor

    @property
    def n_gaps(self) -> int:
        return len(self.gaps)

    @property
    def longest_s(self) -> float:
        return max((end - start for start, end in self.gaps), default=0.0)

    @property
    def total_gap_s(self) -> float:
        return float(sum(end - start for start, end in self.gaps))

    def longest(self, k: int = 5) -> list[tuple[float, float]]:
        return sorted(self.gaps, key=lambda g: g[0] - g[1])[:k]


def report_gaps(series: SensorSeries, grid: RegularSeries) -> GapReport:
    """Gaps of ``series`` longer than ``grid.max_fill_s``, and how much of ``grid`` is observed or filled."""
    dt = np.diff(series.t_s)
    long = np.flatnonzero(dt > grid.max_fill_s)
    gaps = tuple((float(series.t_s[i]), float(series.t_s[i + 1])) for i in long)
    all_observed = grid.observed.all(axis=1)
    return GapReport(
        n_readings=int(series.t_s.size),
        first_s=float(series.t_s[0]),
        last_s=float(series.t_s[-1]),
        median_interval_s=float(np.median(dt)) if dt.size else 0.0,
        n_duplicate_times=int(np.sum(dt == 0)),
        n_reordered=series.n_reordered,
        max_fill_s=grid.max_fill_s,
        gaps=gaps,
        n_short_gaps=int(np.sum((dt > 1.5 * grid.step_s) & (dt <= grid.max_fill_s))),
        n_steps=int(grid.values.shape[0]),
        n_observed_steps=int(all_observed.sum()),
        n_filled_steps=int((grid.valid.all(axis=1) & ~all_observed).sum()),
        n_missing_values={name: int((~grid.valid[:, s]).sum()) for s, name in enumerate(grid.names)},
    )
