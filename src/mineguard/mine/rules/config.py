"""Pydantic rule configs (``extra="forbid"``): multi-level thresholds and combined conditions.

A :class:`ThresholdRule` watches one sensor kind (optionally one zone id or one zone kind) and
has one or more levels; a level is raised once the condition held ``for_s`` seconds and clears
once the value is back past ``threshold -/+ clear_hysteresis`` for ``clear_for_s`` seconds
(values in the sensor's canonical unit, see :mod:`mineguard.mine.units`).

A threshold rule may state the ``unit`` of its levels (``methane`` in ``ppm``, ``temperature`` in
``degF``); :meth:`ThresholdRule.canonical` converts them with :mod:`mineguard.mine.units`
and the engine only ever sees canonical values. An unknown unit is a validation error on ``unit``.

A :class:`CombinedRule` joins :class:`Condition` s over named signals with ``all`` / ``any``::

    {"id": "ch4-rising-fan-off", "type": "combined", "severity": "critical",
     "all": [{"signal": "methane", "zone": "face_a", "op": "rising", "rate_per_min": 0.05},
             {"signal": "fan-1.running", "zone": "return", "op": "==", "value": 0}],
     "action": "Withdraw people from {zone}: methane rising {rate_per_min} %/min with fan 1 stopped"}

The site's whole rule set (regulation defaults, thresholds, combined rules, texts, escalation) is
:class:`mineguard.mine.rules.site_rules.RulesConfig`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mineguard.mine.rules.regulation import Op, Severity, defaults_for
from mineguard.mine.units import CANONICAL_UNITS, UnitError, to_canonical

ZoneKind = Literal["roadway", "working_face", "shaft", "gate", "refuge", "airway", "station"]
CompareOp = Literal[">=", "<=", ">", "<", "==", "!="]
ConditionOp = Literal[">=", "<=", ">", "<", "==", "!=", "rising", "falling", "present"]


RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


def _rule_id(value: str) -> str:
    if not RULE_ID.match(value):
        shown = value if len(value) <= 40 else f"{value[:40]}…({len(value)} characters)"
        raise ValueError(
            f"{shown!r} is not a rule id — use letters, digits and . _ : - (at most 100, "
            "starting with a letter or digit), e.g. methane.working_face"
        )
    return value


RuleId = Annotated[str, AfterValidator(_rule_id)]
Name = Annotated[str, Field(min_length=1, max_length=100)]  # a sensor kind, signal, zone id or unit
Text = Annotated[str, Field(max_length=1000)]  # an action text or a source citation


class _Strict(BaseModel):
    """Extra keys refused; numbers finite (NaN, Infinity and 1e400 are refused, never stored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class Level(_Strict):
    """One level of a threshold rule: ``value <op> threshold`` raises ``severity``."""

    severity: Severity
    threshold: float = Field(strict=True)
    source: Text | None = None


class ThresholdRule(_Strict):
    """Multi-level threshold on one sensor kind, per zone, with debounce and hysteresis."""

    type: Literal["threshold"] = "threshold"
    id: RuleId
    kind: Name = Field(description="signal key: a sensor kind (methane), or <asset>.<kind> for a machine's sensor")
    zone: Name | None = Field(None, description="only this zone id")
    zone_kind: ZoneKind | None = Field(None, description="only zones of this kind")
    op: Op = ">="
    levels: list[Level] = Field(min_length=1)
    for_s: float = Field(10.0, ge=0, strict=True, description="condition must hold this long before a level is raised")
    clear_hysteresis: float = Field(0.0, ge=0, strict=True, description="absolute, in the sensor unit")
    clear_for_s: float = Field(30.0, ge=0, strict=True, description="value must stay past the clear point this long")
    action: Text | None = None
    unit: Name | None = Field(None, description="unit of the thresholds and hysteresis; default: the canonical one")

    @field_validator("zone_kind")
    @classmethod
    def _one_place(cls, zone_kind: ZoneKind | None, info: ValidationInfo) -> ZoneKind | None:
        if zone_kind is not None and info.data.get("zone") is not None:
            raise ValueError("give either 'zone' (one zone id) or 'zone_kind', not both — clear one of them")
        return zone_kind

    @field_validator("levels")
    @classmethod
    def _ordered(cls, levels: list[Level], info: ValidationInfo) -> list[Level]:
        ranks = [lv.severity.rank for lv in levels]
        if ranks != sorted(set(ranks)):
            raise ValueError("levels must have distinct severities listed from lowest to highest")
        op, values = info.data.get("op"), [lv.threshold for lv in levels]
        if op is None:
            return levels  # the op itself is invalid: that error is enough
        ordered = values == sorted(values) if op == ">=" else values == sorted(values, reverse=True)
        if not ordered:
            word = "increase" if op == ">=" else "decrease"
            raise ValueError(f"with op '{op}' the level thresholds must {word} with severity, got {values}")
        return levels

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, unit: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if unit is None or kind is None:
            return unit
        try:
            to_canonical(base_kind(kind), 0.0, unit)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        return unit

    def covers(self, zone_id: str | None, zone_kinds: Mapping[str, str]) -> bool:
        """Whether this rule judges a signal seen in ``zone_id`` (``zone_kinds``: zone id -> zone kind)."""
        if self.zone is not None:
            return zone_id == self.zone
        if self.zone_kind is not None:
            return zone_id is not None and zone_kinds.get(zone_id) == self.zone_kind
        return True

    def canonical(self) -> ThresholdRule:
        """This rule with thresholds and hysteresis in the canonical unit of its kind (itself when already)."""
        kind = base_kind(self.kind)
        target = CANONICAL_UNITS.get(kind)
        if self.unit is None or self.unit == target:
            return self
        levels = [
            lv.model_copy(update={"threshold": to_canonical(kind, lv.threshold, self.unit)}) for lv in self.levels
        ]
        zero = to_canonical(kind, 0.0, self.unit)
        hysteresis = abs(to_canonical(kind, self.clear_hysteresis, self.unit) - zero)  # a width: scale only
        return self.model_copy(update={"levels": levels, "clear_hysteresis": hysteresis, "unit": target})

    @classmethod
    def from_regulation(
        cls, id: str, kind: str, zone_kind: ZoneKind | None = None, *, op: Op | None = None, **kw: object
    ) -> ThresholdRule:
        """A rule whose levels are the cited defaults of :func:`defaults_for` (``kw``: for_s, ...)."""
        rows = defaults_for(kind, zone_kind, op=op)
        ops = {r.op for r in rows}
        if not rows:
            raise ValueError(f"no default thresholds for kind {kind!r} and zone kind {zone_kind!r}")
        if len(ops) > 1:
            raise ValueError(f"defaults for {kind!r} have both a maximum and a minimum; pass op='>=' or op='<='")
        levels = [Level(severity=r.level, threshold=r.value, source=r.source) for r in rows]
        return cls(id=id, kind=kind, zone_kind=zone_kind, op=ops.pop(), levels=levels, **kw)  # type: ignore[arg-type]


class Condition(_Strict):
    """One condition over the latest value of ``signal`` (in ``zone`` when given).

    - ``>=, <=, >, <, ==, !=``: compare the latest value with ``value``;
    - ``rising`` / ``falling``: least-squares slope over the last ``window_s`` seconds is at least
      ``rate_per_min`` units per minute up / down (needs two samples or more);
    - ``present``: the latest value is truthy (an event such as ``vision.no_helmet``).

    A signal never seen, or last seen more than ``max_age_s`` (else the rule's) ago, is unknown and
    the condition is false.
    """

    signal: Name
    zone: Name | None = None
    op: ConditionOp
    value: StrictFloat | StrictBool | None = None
    rate_per_min: float | None = Field(None, gt=0, strict=True)
    window_s: float = Field(300.0, gt=0, strict=True)
    max_age_s: float | None = Field(None, gt=0, strict=True)

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if self.op in ("rising", "falling"):
            if self.rate_per_min is None:
                raise ValueError(f"op '{self.op}' needs 'rate_per_min' (units per minute, > 0)")
            if self.value is not None:
                raise ValueError(f"op '{self.op}' takes 'rate_per_min', not 'value'")
        elif self.op == "present":
            if self.value is not None or self.rate_per_min is not None:
                raise ValueError("op 'present' takes neither 'value' nor 'rate_per_min'")
        else:
            if self.value is None:
                raise ValueError(f"op '{self.op}' needs 'value'")
            if self.rate_per_min is not None:
                raise ValueError(f"op '{self.op}' takes 'value', not 'rate_per_min'")
            if isinstance(self.value, bool) and self.op not in ("==", "!="):
                raise ValueError(f"a true/false value can only be compared with '==' or '!=', not '{self.op}'")
        return self


class CombinedRule(_Strict):
    """``all`` of some conditions and/or ``any`` of others, held ``for_s``, raises ``severity``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    type: Literal["combined"] = "combined"
    id: RuleId
    severity: Severity
    all_: list[Condition] = Field(default_factory=list, alias="all")
    any_: list[Condition] = Field(default_factory=list, alias="any")
    zone: Name | None = Field(None, description="zone reported on transitions; default: first condition zone")
    max_age_s: float = Field(
        60.0, gt=0, strict=True, description="signals older than this are unknown (condition false)"
    )
    for_s: float = Field(0.0, ge=0, strict=True)
    clear_for_s: float = Field(0.0, ge=0, strict=True)
    action: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> CombinedRule:
        if not self.all_ and not self.any_:
            raise ValueError("a combined rule needs at least one condition under 'all' or 'any'")
        return self

    @property
    def conditions(self) -> list[Condition]:
        return [*self.all_, *self.any_]

    @property
    def report_zone(self) -> str | None:
        return self.zone or next((c.zone for c in self.conditions if c.zone), None)


Rule = Annotated[ThresholdRule | CombinedRule, Field(discriminator="type")]


def base_kind(signal: str) -> str:
    """The sensor kind of a signal key: ``methane`` -> ``methane``, ``belt-1.bearing_temp`` -> ``bearing_temp``."""
    return signal.rsplit(".", 1)[-1]
