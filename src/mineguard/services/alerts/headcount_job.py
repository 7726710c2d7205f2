"""Headcount reconciliation as alerts: each mismatch of each person is one alert in the book.

Every ``period_s`` (``MINEGUARD_HEADCOUNT_CHECK_S``) the job reconciles every person of the site
(:func:`mineguard.services.twin.headcount.presences`) and, for each kind of
:class:`~mineguard.mine.headcount.Mismatch`, raises or updates ``headcount:<kind>:<person>`` while
it holds and resolves it once it no longer does. Severity, title and action are the site file's
(``headcount.alerts``); escalation is the book's ladder with the site's timeouts, so an
unacknowledged "miner not accounted for" climbs operator → supervisor → manager. The evidence is
the person's last known zone and position, when they were last seen and the evidence trail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.headcount import Mismatch, alert_text
from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.storage.models import Zone
from mineguard.services.twin.headcount import headcount_site, presences


def alert_key(kind: Mismatch, person_id: str) -> str:
    return f"headcount:{kind.value}:{person_id}"


def check_headcount(
    sessions: sessionmaker[Session], site_id: str, now: datetime, *, policy: EscalationPolicy | None = None
) -> list[book.AlertChange]:
    """Raise, update or resolve every person's headcount alerts at ``now``; [] for a site without ``headcount:``."""
    changes: list[book.AlertChange] = []
    with sessions() as session, session.begin():
        site = headcount_site(session, site_id)
        if site is None:
            return []
        for state in presences(session, site, now):
            presence, person = state.presence, state.asset
            zone = session.get(Zone, presence.last_zone) if presence.last_zone else None
            texts = {
                "name": person.name,
                "person": person.id,
                "zone": zone.name if zone else "an unknown place",
                "due": presence.due_out,
            }
            for kind in Mismatch:
                key = alert_key(kind, person.id)
                if kind not in presence.mismatches:
                    change = book.condition_cleared(session, key, now, "headcount reconciled")
                else:
                    alert = site.config.alerts[kind]
                    change = book.raise_or_update(
                        session,
                        key=key,
                        rule_id=f"headcount.{kind.value}",
                        severity=alert.severity,
                        t=now,
                        zone_id=presence.last_zone,
                        subject_id=person.id,
                        title=alert_text(alert.title, **texts),
                        message=alert_text(alert.action, **texts),
                        policy=policy or EscalationPolicy(),
                        evidence={"mismatch": kind.value, **presence.evidence()},
                    )
                if change is not None:
                    changes.append(change)
    return changes
