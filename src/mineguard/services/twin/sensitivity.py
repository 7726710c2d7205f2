"""Monitoring sensitivities and zone limits, changed only by the super-manager (seed 004 §3.1.3).

Values arrive with a unit; accelerations accept ``g`` or ``m/s2`` and durations ``s`` or
``min``. A wrong unit is a clear error naming the accepted ones. Every change is written to
the tamper-evident log with the old and the new value.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from mineguard.mine.site import SensitivityConfig, format_validation_error
from mineguard.services.audit import log as audit
from mineguard.services.storage.models import Site, Zone
from mineguard.services.twin.motion import MotionLimits

STANDARD_GRAVITY = 9.80665
_CONVERSIONS: dict[str, dict[str, float]] = {
    "g": {"g": 1.0, "m/s2": 1.0 / STANDARD_GRAVITY, "m/s^2": 1.0 / STANDARD_GRAVITY},
    "s": {"s": 1.0, "min": 60.0},
}
UNITS = {"noise_g": "g", "freefall_g": "g", "fall_impact_g": "g", "fall_still_s": "s", "faint_still_s": "s"}


class SettingError(ValueError):
    """A threshold change that cannot be applied; the message says how to fix it. ``key`` and ``field``
    (``unit`` or ``value``) say which change it is about, where it is about one."""

    def __init__(self, message: str, *, key: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.key, self.field = key, field


@dataclass(frozen=True)
class Quantity:
    key: str
    value: float
    unit: str


def to_canonical(quantity: Quantity) -> float:
    if quantity.key not in UNITS:
        raise SettingError(
            f"unknown sensitivity {quantity.key!r} — use one of {', '.join(UNITS)}", key=quantity.key, field="key"
        )
    table = _CONVERSIONS[UNITS[quantity.key]]
    if quantity.unit not in table:
        raise SettingError(
            f"unit {quantity.unit!r} is not valid for {quantity.key} — use one of {', '.join(table)}",
            key=quantity.key,
            field="unit",
        )
    return quantity.value * table[quantity.unit]


def motion_limits(site: Site) -> MotionLimits:
    s = SensitivityConfig.model_validate(site.sensitivity)
    return MotionLimits(
        noise_g=s.noise_g,
        freefall_g=s.freefall_g,
        fall_impact_g=s.fall_impact_g,
        fall_still_s=s.fall_still_s,
        faint_still_s=s.faint_still_s,
    )


def update_sensitivity(session: Session, site: Site, changes: list[Quantity], *, actor: str) -> dict[str, float]:
    new = dict(site.sensitivity)
    for quantity in changes:
        new[quantity.key] = to_canonical(quantity)
    try:
        validated = SensitivityConfig.model_validate(new)
        MotionLimits(
            noise_g=validated.noise_g,
            freefall_g=validated.freefall_g,
            fall_impact_g=validated.fall_impact_g,
            fall_still_s=validated.fall_still_s,
            faint_still_s=validated.faint_still_s,
        )
    except ValidationError as exc:
        first = str(exc.errors()[0]["loc"][0]) if exc.errors() and exc.errors()[0]["loc"] else None
        raise SettingError(format_validation_error(exc, "sensitivity"), key=first, field="value") from None
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    old = dict(site.sensitivity)
    site.sensitivity = validated.model_dump()
    session.flush()
    diff = {k: {"from": old.get(k), "to": v} for k, v in site.sensitivity.items() if old.get(k) != v}
    if not diff:
        return site.sensitivity
    audit.append(session, actor=actor, action="threshold.changed", subject=f"site:{site.id}:sensitivity", payload=diff)
    return site.sensitivity


def update_zone_limits(
    session: Session, zone: Zone, *, actor: str, staff_limit: int | None = None, danger: bool | None = None
) -> Zone:
    diff = {}
    if staff_limit is not None and staff_limit != zone.staff_limit:
        diff["staff_limit"] = {"from": zone.staff_limit, "to": staff_limit}
        zone.staff_limit = staff_limit
    if danger is not None and danger != zone.danger:
        diff["danger"] = {"from": zone.danger, "to": danger}
        zone.danger = danger
    if diff:
        session.flush()
        audit.append(session, actor=actor, action="criteria.changed", subject=f"zone:{zone.id}", payload=diff)
    return zone
