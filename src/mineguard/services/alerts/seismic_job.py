"""Seismic hazard warnings at each shift's end, per longwall, from the live geophone readings.

When a shift of the site file (``shifts:``) has ended, :class:`SeismicJob` sums, for each longwall
named by the site's seismic sensors (``devices[].longwall``), the stored readings of that shift and
of up to 8 shifts before it into the seismic-bumps row (``warning.seismic_live``) and asks the served
``seismic`` model (``served_models.ServedModels``: the registry's active version, guarded, else the
rule ``warning.seismic_served.SeismicRule``) for the probability of a bump of 10^4 J or more in the
next shift. At or above the model's threshold a warning ``seismic:<longwall>`` is raised (updated on
the next shift end while it holds, resolved once it does not), e.g.

    Seismic hazard high on Longwall face 1101 next shift, p=0.61 (logistic, warns from 0.52) — the day
    shift (coal-getting): geophone energy 52,000 J (+180 % on the last 8 shifts), 900 pulses (+95 %),
    2 bumps (largest 3,000 J); ghazard-style rule level b — check the destress measures and keep people
    out of the longwall's danger area

with the row (the model's inputs) as evidence; the action after the dash is the site's
(``early_warning.seismic_action`` of the site file, ``mine/early_warning.py``), else ``check <longwall>``.
Readings flagged out of range or not finite are left out; bursts are the signal, so spikes count. A
longwall without a reading in the shift is not judged; a shift is judged ``settle_s`` after its end, so
that its last readings have been stored. A restarted service judges the latest ended shift again, but a
longwall whose latest seismic warning was already raised for that shift (open, acknowledged or resolved:
its evidence names the shift) is left alone — a restart never raises a shift's warning twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.rules.regulation import Severity
from mineguard.mine.shifts import ShiftConfig, ShiftWindow, shift_periods
from mineguard.mine.site import SEISMIC_KINDS
from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.storage.models import Alert, SensorReading, Site, Zone
from mineguard.warning.seismic_live import (
    DEVIATION_SHIFTS,
    MIN_BUMP_J,
    SEISMIC_ENERGY,
    GeophoneShift,
    aggregate_shift,
    shift_row,
)
from mineguard.warning.seismic_served import SeismicAssessment, SeismicModel
from mineguard.warning.sensing.checks import Flag

UNUSABLE = int(Flag.OUT_OF_RANGE | Flag.NOT_FINITE)


@dataclass(frozen=True)
class SeismicSite:
    """What the job needs of the site file: its timezone, shifts and seismic sensors per longwall."""

    timezone: str
    shifts: tuple[ShiftConfig, ...]
    longwalls: dict[str, dict[str, str]]  # longwall zone id -> {device id: sensor kind}

    @classmethod
    def from_site_dict(cls, site: Mapping) -> SeismicSite | None:
        """From the site file's data (as stored in ``sites.config``); None without shifts or seismic sensors."""
        longwalls: dict[str, dict[str, str]] = {}
        for device in site.get("devices") or []:
            if device.get("longwall") and device.get("sensor_kind") in SEISMIC_KINDS:
                longwalls.setdefault(device["longwall"], {})[device["id"]] = device["sensor_kind"]
        shifts = tuple(ShiftConfig.model_validate(s) for s in site.get("shifts") or [])
        if not longwalls or not shifts:
            return None
        return cls(site.get("timezone") or "UTC", shifts, longwalls)

    def last_shifts(self, now: datetime, n: int = DEVIATION_SHIFTS + 1) -> list[ShiftWindow]:
        """The ``n`` latest shifts that have ended by ``now``, oldest first."""
        per_day = max(1, len(self.shifts))
        days = n // per_day + 2
        return list(shift_periods(self.shifts, self.timezone, now - timedelta(days=days), now))[-n:]


def shift_readings(session: Session, devices: Mapping[str, str], window: ShiftWindow) -> GeophoneShift | None:
    """The longwall's readings in ``window`` summed (geophones) or listed (bumps); None with no reading."""
    inside = (
        SensorReading.device_id.in_(list(devices)),
        SensorReading.t >= window.start,
        SensorReading.t < window.end,
        SensorReading.flags.op("&")(UNUSABLE) == 0,
    )
    sums = session.execute(
        select(SensorReading.device_id, func.sum(SensorReading.value), func.count())
        .where(*inside)
        .group_by(SensorReading.device_id)
    ).all()
    if not sums:
        return None
    readings = [
        (device, devices[device], float(total)) for device, total, _ in sums if devices[device] != SEISMIC_ENERGY
    ]
    bumps = session.execute(
        select(SensorReading.device_id, SensorReading.value).where(*inside, SensorReading.value >= MIN_BUMP_J)
    ).all()
    readings += [(device, SEISMIC_ENERGY, float(v)) for device, v in bumps if devices[device] == SEISMIC_ENERGY]
    return aggregate_shift(readings, coal_getting=window.type == "work")


def warned_for(session: Session, key: str, window: ShiftWindow) -> bool:
    """Whether the latest alert of ``key`` (in any state) was raised or updated for ``window``."""
    latest = session.scalars(select(Alert).where(Alert.key == key).order_by(Alert.id.desc()).limit(1)).first()
    shift = (latest.evidence or {}).get("shift") if latest is not None else None
    return isinstance(shift, dict) and shift.get("end") == window.end.isoformat()


def describe(name: str, window: ShiftWindow, row: Mapping[str, Any], a: SeismicAssessment, action: str) -> str:
    """The warning's message: the probability, the shift judged, its features and ``action`` (the site's)."""
    kind = "coal-getting" if window.type == "work" else "preparation"
    return (
        f"seismic hazard high on {name} next shift, p={a.probability:.2f} ({a.model}, warns from {a.threshold:.2f}) — "
        f"the {window.name} shift ({kind}): geophone energy {row['genergy']:,.0f} J ({row['gdenergy']:+.0f} % on the "
        f"last {DEVIATION_SHIFTS} shifts), {row['gpuls']:,.0f} pulses ({row['gdpuls']:+.0f} %), {row['nbumps']:.0f} "
        f"bump(s) (largest {row['maxenergy']:,.0f} J); ghazard-style rule level {a.rule_level} — {action}"
    )


class SeismicJob:
    """Judges each longwall once per ended shift (see the module docs); ``round(now, model)`` each tick."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        site_id: str,
        *,
        policy: EscalationPolicy | None = None,
        settle_s: float = 30.0,
        texts: EarlyWarningConfig | None = None,
    ) -> None:
        """``settle_s``: how long after a shift's end its last readings are waited for before it is judged;
        ``texts``: the site file's ``early_warning:`` section (default: none, the warning says ``check <longwall>``)."""
        self.sessions, self.site_id, self.policy, self.settle_s = sessions, site_id, policy, settle_s
        self.texts = texts or EarlyWarningConfig()
        self.judged: datetime | None = None  # the end of the last shift judged

    def round(self, now: datetime, model: SeismicModel, *, model_label: str | None = None) -> list[book.AlertChange]:
        """Judge the latest ended shift if it was not yet; [] when nothing new ended."""
        changes: list[book.AlertChange] = []
        with self.sessions() as session, session.begin():
            row = session.get(Site, self.site_id)
            site = SeismicSite.from_site_dict(row.config or {}) if row is not None else None
            windows = site.last_shifts(now - timedelta(seconds=self.settle_s)) if site is not None else []
            if site is None or not windows or windows[-1].end == self.judged:
                return []
            for longwall, devices in site.longwalls.items():
                change = self._judge(session, longwall, devices, windows, now, model, model_label or model.name)
                if change is not None:
                    changes.append(change)
        self.judged = windows[-1].end
        return changes

    def _judge(
        self,
        session: Session,
        longwall: str,
        devices: Mapping[str, str],
        windows: list[ShiftWindow],
        now: datetime,
        model: SeismicModel,
        label: str,
    ) -> book.AlertChange | None:
        shifts = [shift_readings(session, devices, w) for w in windows]
        current = shifts[-1]
        if current is None:
            return None
        previous = [s for s in shifts[:-1] if s is not None]
        row = shift_row(current, previous)
        assessment = model.assess(row)
        key = f"seismic:{longwall}"
        if not assessment.warn:
            why = f"p={assessment.probability:.2f} below {assessment.threshold:.2f} after the {windows[-1].name} shift"
            return book.condition_cleared(session, key, now, why)
        window = windows[-1]
        if warned_for(session, key, window):
            return None  # judged before a restart: never raise one shift's warning twice
        zone = session.get(Zone, longwall)
        name = zone.name if zone is not None else longwall
        return book.raise_or_update(
            session,
            key=key,
            rule_id="seismic.hazard",
            severity=Severity.WARNING,
            t=now,
            zone_id=longwall if zone is not None else None,
            subject_id=longwall,
            title=f"Seismic hazard high on {name} next shift (p={assessment.probability:.2f})",
            message=describe(name, window, row, assessment, self.texts.seismic(name)),
            policy=self.policy or EscalationPolicy(),
            evidence={
                "model": label,
                "probability": assessment.probability,
                "threshold": assessment.threshold,
                "rule_level": assessment.rule_level,
                "shift": {
                    "name": window.name,
                    "type": window.type,
                    "start": window.start.isoformat(),
                    "end": window.end.isoformat(),
                },
                "previous_shifts": len(previous),
                "features": dict(row),
                "devices": sorted(devices),
            },
        )
