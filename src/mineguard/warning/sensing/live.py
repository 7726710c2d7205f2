"""Cleansing and alignment on the live path: every reading is judged as it arrives, before it is stored.

The order of a reading's way in is validate -> convert -> cleanse -> store -> align -> rules:

- ``ingest.validate`` checks it and converts it to the canonical unit of its kind. A value outside
  the *physical* span of its kind (``mine.units.PHYSICAL_SPANS``, a methane head reading 120 %)
  is refused there and stays refused: it is kept among the rejects with its raw payload, never
  stored as a reading, so it never reaches this module.
- :class:`LiveCleanser` flags it (``ingest.store`` calls it, in the one place the HTTP route and the
  MQTT / in-process bus worker both pass) with the checks of :mod:`.checks` that the batch
  :func:`~.cleanse.cleanse` uses, on a *trailing* window: a reading is judged only on the readings
  of its sensor that came before it in measurement time. The flags are stored beside the raw and
  the canonical value; nothing is dropped or changed.
- :class:`RuleFeed` (owned by the alert pipeline) hands the rules each sensor's readings in time
  order, holds back flagged ones (a flagged value does not trip an alarm on its own: sensor
  health counts it instead) and readings older than the last one of their sensor the rules saw.

Flags (bits of :class:`~.checks.Flag`), with the kind's :class:`~.profiles.KindProfile` and the
:class:`~.cleanse.CleanseSpec` settings:

- ``out_of_range``: outside the instrument span of the kind (narrower than the physical span).
- ``spike``: deviates from the median of the ``spike_window`` readings before it by more than
  ``spike_k`` robust sigmas (1.4826 * MAD) and ``min_jump``, once at least ``spike_min_history``
  earlier readings are held. A step is not a spike: a deviating reading that stays within the
  threshold of the reading just before it, itself deviating the same way, confirms a new level
  (so only the first reading of a real step is flagged; the next one reaches the rules).
- ``stuck``: the same value (within ``stuck_eps``) for at least ``stuck_s`` on a kind that normally
  varies; a gas pinned at its span floor is normal; discrete kinds (``running``) are never stuck.
- ``after_gap``: the first reading after more than ``gap_s`` without one (not a bad value: it is
  still fed to the rules).
- ``not_finite``: NaN or inf (the wire schema refuses them today; kept for other callers).

State is per sensor, in memory, bounded: the last ``spike_window`` readings, the current run of
unchanged values, and the flags of the last ``seen`` seqs. Devices are validated before they get
here, so the number of sensors is bounded by the site. A reading that arrives out of time order
is judged against the readings before it in time that are still held (older than all of them: on
range and stuck only) and does not move the stuck run on; the flags of readings already stored are
never rewritten. A seq judged before (a re-delivery, a batch retried after a rollback) gets the
flags it got then and changes nothing. After a restart the state starts empty (no spike call until
``spike_min_history`` readings, no gap before the first reading). Thread-safe: the HTTP routes and
the ingest worker share one instance, owned by ``services.lifecycle.ServiceRuntime``.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mineguard.warning.sensing.checks import (
    BAD_FLAGS,
    Flag,
    after_gap,
    flag_names,
    held_too_long,
    out_of_range,
    spike,
    unchanged,
)
from mineguard.warning.sensing.cleanse import CleanseSpec
from mineguard.warning.sensing.profiles import KIND_PROFILES, KindProfile

LiveReading = tuple[str, str, int, datetime, float]  # device_id, kind, seq, t (aware), canonical value
# plain ints on the hot path (IntFlag arithmetic is several times slower)
_OUT_OF_RANGE, _SPIKE, _STUCK = int(Flag.OUT_OF_RANGE), int(Flag.SPIKE), int(Flag.STUCK)
_AFTER_GAP, _NOT_FINITE, _BAD = int(Flag.AFTER_GAP), int(Flag.NOT_FINITE), int(BAD_FLAGS)


@dataclass
class _SensorState:
    """What one sensor's next reading is judged on."""

    times: list[float] = field(default_factory=list)  # the last spike_window readings, sorted by time
    values: list[float] = field(default_factory=list)
    deviated: list[bool] = field(default_factory=list)  # whether each stood out from the ones before it
    run_value: float = math.nan  # the current run of unchanged values (in-order readings only)
    run_start: float = math.nan
    last_t: float = -math.inf  # the newest reading seen
    seen: OrderedDict[int, int] = field(default_factory=OrderedDict)  # seq -> flags, the last `seen` ones


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


class LiveCleanser:
    """Flags for each arriving reading, from its sensor's earlier readings (see the module text).

    spec: the cleansing settings (the batch cleanser's :class:`CleanseSpec`). profiles: the kind
    profiles (default :data:`KIND_PROFILES`); a kind without one is checked for gaps only. seen: how
    many recent seqs per sensor remember their flags. ``flagged`` counts readings by flag name.
    """

    def __init__(
        self,
        spec: CleanseSpec | None = None,
        profiles: Mapping[str, KindProfile] = KIND_PROFILES,
        *,
        seen: int = 256,
    ) -> None:
        self.spec = spec or CleanseSpec()
        if self.spec.spike_window < 3 or self.spec.spike_min_history < 1:
            raise ValueError(
                f"spike_window must be >= 3 and spike_min_history >= 1, got {self.spec.spike_window} and "
                f"{self.spec.spike_min_history}"
            )
        if self.spec.spike_min_history > self.spec.spike_window:
            raise ValueError(
                f"spike_min_history ({self.spec.spike_min_history}) is more than spike_window "
                f"({self.spec.spike_window}) readings are kept — lower it or widen the window"
            )
        self.profiles, self.seen = profiles, seen
        self.judged = 0
        self.flagged: Counter[str] = Counter()
        self._sensors: dict[str, _SensorState] = {}
        self._lock = threading.Lock()

    def judge_many(self, readings: Sequence[LiveReading]) -> list[int]:
        """The flag bitmask of each reading, in the order given; judged in (t, seq) order per batch."""
        order = sorted(range(len(readings)), key=lambda i: (readings[i][3], readings[i][2]))
        masks = [0] * len(readings)
        with self._lock:
            for i in order:
                masks[i] = self._judge(*readings[i])
        return masks

    def judge(self, device_id: str, kind: str, seq: int, t: datetime, value: float) -> int:
        """The flag bitmask of one reading (see :meth:`judge_many`)."""
        with self._lock:
            return self._judge(device_id, kind, seq, t, value)

    def _judge(self, device_id: str, kind: str, seq: int, t: datetime, value: float) -> int:
        state = self._sensors.get(device_id)
        if state is None:
            state = self._sensors[device_id] = _SensorState()
        known = state.seen.get(seq)
        if known is not None:
            return known
        spec, prof, secs = self.spec, self.profiles.get(kind), t.timestamp()
        pos = bisect.bisect_right(state.times, secs)
        mask, deviated = 0, False
        if not math.isfinite(value):
            mask = _NOT_FINITE
            state.run_value = state.run_start = math.nan  # a NaN breaks a run, as in the batch cleanser
        else:
            if pos and after_gap(secs - state.times[pos - 1], spec.gap_s):
                mask |= _AFTER_GAP
            if prof is not None:
                flags, deviated = self._profile_flags(state, prof, pos, secs, value)
                mask |= flags
        if secs > state.last_t:
            state.last_t = secs
        self._remember(state, pos, secs, value, deviated)
        state.seen[seq] = mask
        if len(state.seen) > self.seen:
            state.seen.popitem(last=False)
        self.judged += 1
        if mask:
            self.flagged.update(flag_names(mask))
        return mask

    def _profile_flags(
        self, state: _SensorState, prof: KindProfile, pos: int, secs: float, value: float
    ) -> tuple[int, bool]:
        """(flags, whether the value stands out from the readings before it) of a finite value."""
        spec, mask, deviated = self.spec, 0, False
        low, high = spec.span or prof.span
        if out_of_range(value, low, high):
            mask |= _OUT_OF_RANGE
        if not prof.discrete and pos >= spec.spike_min_history:
            before = state.values[:pos]
            median = _median(before)
            min_jump = prof.min_jump if spec.min_jump is None else spec.min_jump
            if abs(value - median) > min_jump:  # else no spike whatever the MAD: skip computing it
                mad = _median([abs(v - median) for v in before])
                deviated = bool(spike(value, median, mad, spec.spike_k, min_jump))
                previous = state.values[pos - 1]
                confirms_step = state.deviated[pos - 1] and not spike(value, previous, mad, spec.spike_k, min_jump)
                if deviated and not confirms_step:
                    mask |= _SPIKE
        if spec.stuck_s is not None and prof.fluctuates and not prof.discrete:
            same = unchanged(value, state.run_value, spec.stuck_eps)
            if secs >= state.last_t:  # in order: the run moves on
                if not same:
                    state.run_value, state.run_start = value, secs
                held = secs - state.run_start
            else:  # late: stuck only inside the current run's time
                held = secs - state.run_start if same and secs >= state.run_start else 0.0
            at_floor = prof.floor_is_normal and unchanged(value, low, spec.stuck_eps)
            if held_too_long(held, spec.stuck_s) and not at_floor:
                mask |= _STUCK
        return mask, deviated

    def _remember(self, state: _SensorState, pos: int, secs: float, value: float, deviated: bool) -> None:
        window = self.spec.spike_window
        if pos == 0 and len(state.times) >= window:
            return  # older than every reading held: it would be dropped at once
        state.times.insert(pos, secs)
        state.values.insert(pos, value)
        state.deviated.insert(pos, deviated)
        if len(state.times) > window:
            del state.times[0], state.values[0], state.deviated[0]


class FedReading(Protocol):
    """What :class:`RuleFeed` reads of a stored reading (``ingest.store.AcceptedReading`` has it all)."""

    device_id: str
    t: datetime


@dataclass
class RuleFeed:
    """The align stage before the rules: per sensor, time order; flagged and late readings held back.

    ``admit`` returns the readings the rules should see, sorted by time: a reading carrying a bad
    flag (``BAD_FLAGS``: out of range, spike, stuck, not finite; ``after_gap`` is fed) is held back
    and counted in ``flagged``; one older than the last reading of its sensor the rules saw is held
    back and counted in ``late`` (the rule engine would ignore it anyway). Both are stored already.
    No resampling here: the rules take each reading at its own time (``align.resample`` is for
    stored series and models). Not thread-safe: the alert pipeline calls it under its lock.
    """

    fed: int = 0
    flagged: int = 0
    late: int = 0
    _last: dict[str, datetime] = field(default_factory=dict)

    def admit(self, readings: Iterable[Any]) -> list[Any]:
        out, last_of = [], self._last
        for r in sorted(readings, key=_time):
            if getattr(r, "flags", 0) & _BAD:
                self.flagged += 1
                continue
            last = last_of.get(r.device_id)
            if last is not None and r.t < last:
                self.late += 1
                continue
            last_of[r.device_id] = r.t
            out.append(r)
        self.fed += len(out)
        return out

    def counts(self) -> dict[str, int]:
        return {"fed": self.fed, "flagged": self.flagged, "late": self.late}


def _time(reading: FedReading) -> datetime:
    return reading.t
