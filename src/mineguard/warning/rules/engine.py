"""Streaming rule evaluator: observations in, typed :class:`RuleTransition` s out.

Clock-free: time only comes from the observations (``now`` is the latest ``t`` seen), so replays
and tests are deterministic. Semantics (Frigate-like inertia, never one frame):

- threshold level ``i`` is *held* once every sample of its series satisfied ``value <op> threshold_i``
  from a first sample at ``t0`` to the current one at ``t`` with ``t - t0 >= for_s``; a sample that
  does not satisfy it restarts the count, so a single spike never fires (with ``for_s > 0``);
- severity = the highest held level; the first one is ``raised``, a higher one ``escalated``;
- the current level lets go only after the value stayed past ``threshold -/+ clear_hysteresis`` for
  ``clear_for_s``; then it drops to the highest lower level the value is still inside
  (``deescalated``) or to nothing (``cleared``). Readings around the threshold therefore do not flap;
- combined rules evaluate the latest value of each signal at ``now``; unknown or stale signals make
  their condition false; ``for_s`` / ``clear_for_s`` debounce raise and clear the same way.

Rising / falling rates are the least-squares slope of the series over the condition's window, in
units per minute. Samples older than the series' last one are ignored (out of order).

Provenance: an observation may carry a ``source`` string naming the input it came from
(``reading:ch4-1-t#1234``, ``event:57``, ``twin:tag-0004``). A threshold transition's evidence
lists it under ``inputs`` (``[source]``), a combined one maps each condition to the source of
its signal's latest sample (``{"methane@face_a": "reading:ch4-1-t#1234", ...}``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mineguard.mine.rules.config import CombinedRule, Condition, ThresholdRule
from mineguard.mine.rules.regulation import Severity
from mineguard.warning.rules.signal_series import Series, Value, walked_slope

State = Literal["raised", "escalated", "deescalated", "cleared"]


@dataclass(frozen=True)
class RuleTransition:
    """A change of one rule's state in one zone at time ``t``."""

    rule_id: str
    zone: str | None
    severity: Severity
    state: State
    value: Value | None
    t: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str | None = None


def slope_per_min(samples: Iterable[tuple[datetime, Value]]) -> float | None:
    """Least-squares slope of ``(t, value)`` samples in units per minute; None under 2 distinct times."""
    pts = [(t.timestamp(), float(v)) for t, v in samples]
    return walked_slope([x for x, _ in pts], [y for _, y in pts])


def _readable(v: float) -> str:
    """Rounded to three significant digits (never to fewer decimals than 0): 0.716, 3.53, 1.1, 1900.0."""
    if v == 0 or not math.isfinite(v):
        return str(v)
    return str(round(v, max(0, 2 - math.floor(math.log10(abs(v))))))


def render_action(template: str | None, fields: Mapping[str, Any]) -> str | None:
    """Fill ``{name}`` placeholders from ``fields`` (names may hold dots); unknown ones stay as written."""
    if template is None:
        return None

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in fields:
            return m.group(0)
        v = fields[key]
        return _readable(v) if isinstance(v, float) else str(v)

    return re.sub(r"\{([^{}]+)\}", sub, template)


@dataclass
class _ThresholdState:
    pending: list[datetime | None]
    level: int | None = None
    clear_since: datetime | None = None


@dataclass
class _CombinedState:
    active: bool = False
    true_since: datetime | None = None
    false_since: datetime | None = None
    evaluated_at: datetime | None = None


class RuleEngine:
    """Evaluate threshold and combined rules over a stream of observations.

    ``zone_kinds`` maps zone id -> zone kind for rules scoped by ``zone_kind``; ``rate_window_s`` is
    the window of the rate reported in threshold evidence.
    """

    def __init__(
        self,
        rules: Iterable[ThresholdRule | CombinedRule],
        *,
        zone_kinds: Mapping[str, str] | None = None,
        rate_window_s: float = 300.0,
    ) -> None:
        self.rules = [r.canonical() if isinstance(r, ThresholdRule) else r for r in rules]
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        self.zone_kinds = dict(zone_kinds or {})
        self.rate_window_s = rate_window_s
        windows = [c.window_s for r in self.rules if isinstance(r, CombinedRule) for c in r.conditions]
        self._keep_s = max([rate_window_s, *windows])
        self._series: dict[tuple[str, str | None], Series] = {}
        self._thr: dict[tuple[str, str | None], _ThresholdState] = {}
        self._comb: dict[str, _CombinedState] = {}
        self.now: datetime | None = None
        self._threshold_by_kind: dict[str, list[ThresholdRule]] = {}
        for rule in self.rules:
            if isinstance(rule, ThresholdRule):
                self._threshold_by_kind.setdefault(rule.kind, []).append(rule)
        self._threshold_for: dict[tuple[str, str | None], list[ThresholdRule]] = {}  # (signal, zone) -> covering
        # (signal, zone) -> its series, threshold rules and combined rules: one lookup per observation
        self._route: dict[tuple[str, str | None], tuple[Series, list[ThresholdRule], list[CombinedRule]]] = {}
        self._combined = [rule for rule in self.rules if isinstance(rule, CombinedRule)]
        self._combined_by_signal: dict[tuple[str, str | None], list[CombinedRule]] = {}
        for rule in self._combined:
            for key in dict.fromkeys((c.signal, c.zone) for c in rule.conditions):
                self._combined_by_signal.setdefault(key, []).append(rule)

    def adopt(self, old: RuleEngine) -> list[str]:
        """Continue where ``old`` stopped: its signal series (rates and combined conditions go on), its
        clock, and the state of every rule that is identical in both. Returns the ids of ``old``'s rules
        that changed or are gone; their state is dropped, so the next observation is judged afresh."""
        mine = {rule.id: rule for rule in self.rules}
        same = {rule.id for rule in old.rules if mine.get(rule.id) == rule}
        for series in old._series.values():
            series.keep_s = self._keep_s
        self._series, self.now = old._series, old.now
        self._route = {}
        self._thr = {key: state for key, state in old._thr.items() if key[0] in same}
        self._comb = {rule_id: state for rule_id, state in old._comb.items() if rule_id in same}
        return [rule.id for rule in old.rules if rule.id not in same]

    def observe(
        self, signal_key: str, t: datetime, value: Value, zone_id: str | None = None, source: str | None = None
    ) -> list[RuleTransition]:
        """Record one observation and return the transitions it causes (often none)."""
        out: list[RuleTransition] = []
        for rule in self._record(
            signal_key, t, value, zone_id, source, out
        ):  # the other combined rules wait for tick()
            self._emit_combined(rule, out)
        return out

    def observe_many(
        self,
        observations: Iterable[tuple[str, datetime, Value, str | None] | tuple[str, datetime, Value, str | None, str]],
        *,
        resolution_s: float = 1.0,
    ) -> list[RuleTransition]:
        """Record ``(signal_key, t, value, zone_id[, source])`` observations in time order. Threshold rules see
        every one; a combined rule whose signals changed is evaluated at most once per
        ``resolution_s`` of observation time and once at the end, which keeps a batch of thousands
        of readings cheap without losing a condition that lasts longer than ``resolution_s``."""
        out: list[RuleTransition] = []
        pending: dict[str, CombinedRule] = {}
        for obs in observations:
            source = obs[4] if len(obs) > 4 else None
            for rule in self._record(obs[0], obs[1], obs[2], obs[3], source, out):
                state = self._comb.get(rule.id)
                last = state.evaluated_at if state is not None else None
                if last is None or (self.now - last).total_seconds() >= resolution_s:  # type: ignore[operator]
                    pending.pop(rule.id, None)
                    self._emit_combined(rule, out)
                else:
                    pending[rule.id] = rule
        for rule in pending.values():
            self._emit_combined(rule, out)
        return out

    def _record(
        self,
        signal_key: str,
        t: datetime,
        value: Value,
        zone_id: str | None,
        source: str | None,
        out: list[RuleTransition],
    ) -> list[CombinedRule]:
        """Store one observation, step its threshold rules into ``out``; the combined rules it touches."""
        key = (signal_key, zone_id)
        route = self._route.get(key)
        if route is None:
            series = self._series.get(key) or self._series.setdefault(key, Series(self._keep_s))
            route = self._route[key] = (series, self._threshold_rules(*key), self._combined_by_signal.get(key, []))
        series, thresholds, combined = route
        if not series.add(t, value, source):
            return []
        self.now = t if self.now is None or t > self.now else self.now
        if thresholds and not isinstance(value, bool):
            for rule in thresholds:
                out.extend(self._step_threshold(rule, zone_id, t, float(value), series))
        return combined

    def _threshold_rules(self, signal_key: str, zone_id: str | None) -> list[ThresholdRule]:
        """The threshold rules that judge ``signal_key`` in ``zone_id``: worked out once per (signal, zone), so an
        observation steps only its own sensor's rules (the rules and ``zone_kinds`` are fixed for an engine)."""
        key = (signal_key, zone_id)
        rules = self._threshold_for.get(key)
        if rules is None:
            candidates = self._threshold_by_kind.get(signal_key, ())
            rules = self._threshold_for[key] = [r for r in candidates if r.covers(zone_id, self.zone_kinds)]
        return rules

    def _emit_combined(self, rule: CombinedRule, out: list[RuleTransition]) -> None:
        tr = self._step_combined(rule, self.now)  # type: ignore[arg-type]
        if tr is not None:
            out.append(tr)

    def tick(self, now: datetime) -> list[RuleTransition]:
        """Re-evaluate every combined rule at ``now`` (signals may have gone stale without new readings);
        ``observe`` only re-evaluates the combined rules that read the observed signal."""
        self.now = now if self.now is None or now > self.now else self.now
        out: list[RuleTransition] = []
        for rule in self._combined:
            tr = self._step_combined(rule, self.now)
            if tr is not None:
                out.append(tr)
        return out

    # --- threshold rules ---------------------------------------------------------------------

    def _step_threshold(
        self, rule: ThresholdRule, zone: str | None, t: datetime, v: float, series: Series
    ) -> list[RuleTransition]:
        key = (rule.id, zone)
        st = self._thr.get(key)
        if st is None:
            st = self._thr[key] = _ThresholdState(pending=[None] * len(rule.levels))
        sign = 1.0 if rule.op == ">=" else -1.0
        pending = st.pending
        held: int | None = None
        for i, lv in enumerate(rule.levels):
            if sign * (v - lv.threshold) >= 0:
                since = pending[i] = pending[i] or t
                if (t - since).total_seconds() >= rule.for_s:
                    held = i
            else:
                pending[i] = None
        if st.level is None and held is None:  # the common case: no alert, and none to raise
            return []
        return self._threshold_change(rule, zone, t, v, series, st, held, sign)

    def _threshold_change(
        self,
        rule: ThresholdRule,
        zone: str | None,
        t: datetime,
        v: float,
        series: Series,
        st: _ThresholdState,
        held: int | None,
        sign: float,
    ) -> list[RuleTransition]:
        """Raise, escalate, hold, de-escalate or clear the alert of ``rule`` in ``zone`` (``held``: the highest
        level held now)."""

        def inside(i: int) -> bool:  # not yet past the clear point of level i
            return sign * (v - rule.levels[i].threshold) > -rule.clear_hysteresis

        def emit(state: State, level: int) -> RuleTransition:
            lv = rule.levels[level]
            evidence = {
                "value": v,
                "threshold": lv.threshold,
                "op": rule.op,
                "clear_hysteresis": rule.clear_hysteresis,
                "rate_per_min": series.slope(t, self.rate_window_s),
                "levels": {x.severity.value: x.threshold for x in rule.levels},
                "inputs": [series.source] if series.source is not None else [],
            }
            if lv.source:
                evidence["source"] = lv.source
            fields = {"rule": rule.id, "zone": zone, "kind": rule.kind, "severity": lv.severity.value, **evidence}
            return RuleTransition(rule.id, zone, lv.severity, state, v, t, evidence, render_action(rule.action, fields))

        if st.level is None and held is not None:  # (with neither, _step_threshold has returned)
            st.level, st.clear_since = held, None
            return [emit("raised", held)]
        if held is not None and held > st.level:
            st.level, st.clear_since = held, None
            return [emit("escalated", held)]
        if inside(st.level):
            st.clear_since = None
            return []
        st.clear_since = st.clear_since or t
        if (t - st.clear_since).total_seconds() < rule.clear_for_s:
            return []
        old = st.level
        lower = [i for i in range(old) if inside(i)]
        st.clear_since = None
        if lower:
            st.level = lower[-1]
            return [emit("deescalated", st.level)]
        st.level = None
        tr = emit("cleared", old)
        return [tr]

    # --- combined rules ----------------------------------------------------------------------

    def _condition(self, rule: CombinedRule, c: Condition, now: datetime, evidence: dict[str, Any]) -> bool:
        name = f"{c.signal}@{c.zone}" if c.zone else c.signal
        series = self._series.get((c.signal, c.zone))
        last = series.last if series else None
        max_age = c.max_age_s or rule.max_age_s
        if last is None or (now - last[0]).total_seconds() > max_age:
            evidence[name] = None
            return False
        v = last[1]
        evidence[name] = v
        evidence.setdefault("inputs", {})[name] = series.source  # type: ignore[union-attr]
        if c.op == "present":
            return bool(v)
        if c.op in ("rising", "falling"):
            rate = series.slope(now, c.window_s)  # type: ignore[union-attr]
            evidence[f"{name}.rate_per_min"] = rate
            evidence.setdefault("rate_per_min", rate)
            if rate is None:
                return False
            return rate >= c.rate_per_min if c.op == "rising" else -rate >= c.rate_per_min  # type: ignore[operator]
        ref = c.value
        if c.op == "==":
            return v == ref
        if c.op == "!=":
            return v != ref
        if isinstance(v, bool):
            return False
        return {
            ">=": v >= ref,  # type: ignore[operator]
            "<=": v <= ref,  # type: ignore[operator]
            ">": v > ref,  # type: ignore[operator]
            "<": v < ref,  # type: ignore[operator]
        }[c.op]

    def _step_combined(self, rule: CombinedRule, now: datetime) -> RuleTransition | None:
        st = self._comb.setdefault(rule.id, _CombinedState())
        st.evaluated_at = now
        evidence: dict[str, Any] = {}
        all_ok = all([self._condition(rule, c, now, evidence) for c in rule.all_])
        any_ok = not rule.any_ or any([self._condition(rule, c, now, evidence) for c in rule.any_])
        met = all_ok and any_ok
        if met:
            st.false_since = None
            st.true_since = st.true_since or now
            if not st.active and (now - st.true_since).total_seconds() >= rule.for_s:
                st.active = True
                return self._combined_transition(rule, "raised", now, evidence)
        else:
            st.true_since = None
            if st.active:
                st.false_since = st.false_since or now
                if (now - st.false_since).total_seconds() >= rule.clear_for_s:
                    st.active, st.false_since = False, None
                    return self._combined_transition(rule, "cleared", now, evidence)
        return None

    def _combined_transition(
        self, rule: CombinedRule, state: State, now: datetime, ev: dict[str, Any]
    ) -> RuleTransition:
        zone = rule.report_zone
        fields = {"rule": rule.id, "zone": zone, "severity": rule.severity.value, **ev}
        return RuleTransition(rule.id, zone, rule.severity, state, None, now, ev, render_action(rule.action, fields))
