"""Cleansing a sensor series: flag out-of-range, spikes, stuck values and gaps (seed 003 §3.1).

The paper's cleansing step "removes outliers and noise"; here nothing is removed or changed —
each sample gets flags and models read the ``clean`` view, a copy with flagged samples set to NaN.
All checks are vectorised over the series; the checks themselves live in :mod:`.checks`, shared with
the live cleanser (:mod:`.live`), which flags each reading as it arrives, before it is stored.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mineguard.warning.sensing._series import check_series, seconds_to_time
from mineguard.warning.sensing.checks import (
    BAD_FLAGS,
    FLAG_NAMES,
    MAD_TO_SIGMA,
    Flag,
    after_gap,
    flag_names,
    held_too_long,
    out_of_range,
    spike,
    unchanged,
)
from mineguard.warning.sensing.profiles import KindProfile, profile_for

__all__ = ["BAD_FLAGS", "FLAG_NAMES", "MAD_TO_SIGMA", "CleanseResult", "CleanseSpec", "Flag", "cleanse"]


@dataclass(frozen=True)
class CleanseSpec:
    """Cleansing settings; ``None`` fields take the kind's :class:`KindProfile` default.

    span: (low, high) typical instrument span, canonical unit. spike_window: centred window in
    samples (odd, >= 3) for the rolling median and MAD (live: the ``spike_window`` readings before).
    spike_k: how many robust sigmas (1.4826 * MAD) a spike must stand out. min_jump: smallest
    absolute deviation that can be a spike. stuck_s: how long an unchanged value must last to
    be ``stuck`` (None: never). stuck_eps: largest change still counted as "unchanged". gap_s: a step between readings
    longer than this is a gap (the longest silence expected between two readings of a sensor).
    profile: replaces the kind's defaults (a new kind, a site tuning). spike_min_history: live
    only — how many earlier readings the trailing window must hold before a spike can be called.
    """

    span: tuple[float, float] | None = None
    spike_window: int = 11
    spike_k: float = 6.0
    min_jump: float | None = None
    stuck_s: float | None = 2 * 3600.0
    stuck_eps: float = 1e-9
    gap_s: float = 60.0
    profile: KindProfile | None = None
    spike_min_history: int = 5


@dataclass(frozen=True)
class CleanseResult:
    """Flags of one series; values themselves are untouched.

    mask: (N,) uint8 bitmask of :class:`Flag`. clean: (N,) float64 copy of the values with
    samples carrying a bad flag (all but ``after_gap``) set to NaN. gaps: (G, 2) time of the
    reading before and after each gap, same type as the input ``t``.
    """

    mask: np.ndarray
    clean: np.ndarray
    gaps: np.ndarray
    names: tuple[str, ...] = field(default=FLAG_NAMES)

    def has(self, flag: Flag) -> np.ndarray:
        """(N,) bool: which samples carry ``flag``."""
        return (self.mask & int(flag)) != 0

    @property
    def flags(self) -> list[list[str]]:
        """Per-sample flag names, as the API shows ``sensor_readings.flags`` (empty list when clean)."""
        return [flag_names(m) for m in self.mask.tolist()]

    def counts(self) -> dict[str, int]:
        """How many samples carry each flag."""
        return {f.name.lower(): int(self.has(f).sum()) for f in Flag}


def cleanse(t: np.ndarray, values: np.ndarray, kind: str, spec: CleanseSpec | None = None) -> CleanseResult:
    """Flag every sample of one sensor's series.

    t: (N,) datetime64 or float seconds, sorted. values: (N,) canonical unit of ``kind``.
    Flags: ``out_of_range`` (outside the instrument span), ``spike`` (|x - rolling median| >
    max(k * 1.4826 * MAD, min_jump) over a centred window — a step change moves the median with
    it and is not a spike), ``stuck`` (unchanged within ``stuck_eps`` for >= ``stuck_s`` on a kind
    that normally fluctuates; a gas reading pinned at its span floor is normal), ``after_gap``
    (first reading after more than ``gap_s`` without one) and ``not_finite`` (NaN or inf).
    """
    spec = spec or CleanseSpec()
    secs, vals, is_dt = check_series(t, values)
    prof = spec.profile or profile_for(kind)
    low, high = spec.span or prof.span
    min_jump = prof.min_jump if spec.min_jump is None else spec.min_jump
    if spec.spike_window < 3 or spec.spike_window % 2 == 0:
        raise ValueError(f"spike_window must be odd and >= 3, got {spec.spike_window}")

    mask = np.zeros(vals.shape, dtype=np.uint8)
    finite = np.isfinite(vals)
    mask[~finite] |= np.uint8(Flag.NOT_FINITE)
    mask[finite & out_of_range(vals, low, high)] |= np.uint8(Flag.OUT_OF_RANGE)
    if not prof.discrete:
        mask[_spikes(vals, spec.spike_window, spec.spike_k, min_jump)] |= np.uint8(Flag.SPIKE)
    if spec.stuck_s is not None and prof.fluctuates and not prof.discrete:
        floor = low if prof.floor_is_normal else None
        mask[_stuck(secs, vals, spec.stuck_s, spec.stuck_eps, floor)] |= np.uint8(Flag.STUCK)
    after = np.zeros(vals.shape, dtype=bool)
    after[1:] = after_gap(np.diff(secs), spec.gap_s)
    mask[after] |= np.uint8(Flag.AFTER_GAP)

    idx = np.flatnonzero(after)
    gaps = np.stack([secs[idx - 1], secs[idx]], axis=1) if idx.size else np.empty((0, 2))
    clean = vals.copy()
    clean[(mask & int(BAD_FLAGS)) != 0] = np.nan
    return CleanseResult(mask=mask, clean=clean, gaps=seconds_to_time(gaps, is_dt))


def rolling_median_mad(vals: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Centred rolling median and MAD, (N,) each; edges use the part of the window inside the series."""
    half = window // 2
    padded = np.pad(np.where(np.isfinite(vals), vals, np.nan), half, constant_values=np.nan)
    win = sliding_window_view(padded, window)  # (N, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as they should
        med = np.nanmedian(win, axis=1)
        mad = np.nanmedian(np.abs(win - med[:, None]), axis=1)
    return med, mad


def _spikes(vals: np.ndarray, window: int, k: float, min_jump: float) -> np.ndarray:
    if vals.size < 3:
        return np.zeros(vals.shape, dtype=bool)
    med, mad = rolling_median_mad(vals, window)
    with np.errstate(invalid="ignore"):
        return spike(vals, med, mad, k, min_jump)  # NaN compares False


def _stuck(secs: np.ndarray, vals: np.ndarray, stuck_s: float, eps: float, floor: float | None) -> np.ndarray:
    """(N,) bool: samples in a run of unchanged values lasting >= ``stuck_s``."""
    if vals.size < 2:
        return np.zeros(vals.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        changed = ~unchanged(vals[1:], vals[:-1], eps)  # NaN breaks a run
    run = np.concatenate([[0], np.cumsum(changed)])  # run id per sample
    first = np.flatnonzero(np.concatenate([[True], changed]))
    last = np.concatenate([first[1:] - 1, [vals.size - 1]])
    duration = secs[last] - secs[first]
    long_run = held_too_long(duration, stuck_s)
    if floor is not None:
        long_run &= ~unchanged(vals[first], floor, eps)
    return long_run[run] & np.isfinite(vals)
