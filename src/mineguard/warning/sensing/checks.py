"""The cleansing checks and flags: one home for the batch cleanser and the live one.

:func:`~mineguard.warning.sensing.cleanse.cleanse` applies them to a whole stored series at once
(numpy arrays, centred windows); :class:`~mineguard.warning.sensing.live.LiveCleanser` applies them
to one arriving reading against what came before it (Python floats, trailing windows). Each check
uses only operators that numpy arrays and Python numbers both understand, so the two callers share
the rule itself and differ only in which neighbours they compare with.

Flags are stored as a small-int bitmask (``sensor_readings.flags``); bit ``Flag.X`` is set when
the reading carries flag ``x``. :func:`flag_names` turns a mask into the names the API shows.
"""

from __future__ import annotations

import enum
from typing import Any

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


class Flag(enum.IntFlag):
    """One bit per cleansing flag; ``name.lower()`` is the name shown by the API."""

    OUT_OF_RANGE = 1
    SPIKE = 2
    STUCK = 4
    AFTER_GAP = 8
    NOT_FINITE = 16


FLAG_NAMES: tuple[str, ...] = tuple(f.name.lower() for f in Flag)  # bit order
# Flags that make a value unusable for models and rules; ``after_gap`` only marks where a gap ended.
BAD_FLAGS = Flag.OUT_OF_RANGE | Flag.SPIKE | Flag.STUCK | Flag.NOT_FINITE
_BITS = tuple((int(f), f.name.lower()) for f in Flag)


def flag_names(mask: int) -> list[str]:
    """The names of the flags set in ``mask``, in bit order (empty when clean)."""
    return [name for bit, name in _BITS if mask & bit]


def flag_mask(names: list[str] | tuple[str, ...]) -> int:
    """The bitmask of flag ``names``; raises naming the known flags for an unknown one."""
    mask = 0
    for name in names:
        try:
            mask |= int(Flag[name.upper()])
        except KeyError:
            raise ValueError(f"unknown flag {name!r} — known flags: {', '.join(FLAG_NAMES)}") from None
    return mask


def out_of_range(value: Any, low: float, high: float) -> Any:
    """Outside the instrument span [low, high] (NaN compares False: it is ``not_finite`` instead)."""
    return (value < low) | (value > high)


def spike(value: Any, median: Any, mad: Any, k: float, min_jump: float) -> Any:
    """Stands out from ``median`` by more than ``k`` robust sigmas (1.4826 * MAD) and by more than ``min_jump``."""
    deviation = abs(value - median)
    return (deviation > k * MAD_TO_SIGMA * mad) & (deviation > min_jump)


def unchanged(a: Any, b: Any, eps: float) -> Any:
    """``a`` and ``b`` differ by at most ``eps`` (NaN is never unchanged)."""
    return abs(a - b) <= eps


def held_too_long(held_s: Any, stuck_s: float) -> Any:
    """A value unchanged for ``held_s`` seconds is stuck once that reaches ``stuck_s``."""
    return held_s >= stuck_s


def after_gap(step_s: Any, gap_s: float) -> Any:
    """A reading that follows the previous one by more than ``gap_s`` ends a gap."""
    return step_s > gap_s
