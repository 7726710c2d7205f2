"""Test inputs for the alert pipeline: a stored reading's shape, a fixed clock start, and a
pipeline whose regulation rules fire on a single reading (``for_s=0``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.rules.site_rules import SiteRules, default_rules
from mineguard.mine.units import CANONICAL_UNITS
from mineguard.services.alerts.pipeline import AlertPipeline, SiteIndex

T0 = datetime(2026, 11, 22, 6, tzinfo=UTC)


@dataclass(frozen=True)
class Reading:
    """What the pipeline reads of a stored reading (``AcceptedReading`` has these fields and more)."""

    device_id: str
    kind: str
    t: datetime
    value: float
    seq: int = 0
    flags: int = 0


def instant_pipeline(sessions: sessionmaker[Session], on_change: Callable | None = None) -> AlertPipeline:
    """The loaded site's regulation thresholds, each raising on the first reading over its limit."""
    with sessions() as session:
        site = SiteIndex.load(session)
    rules = default_rules(set(site.zone_kinds.values()), sorted(CANONICAL_UNITS), for_s=0.0)
    return AlertPipeline(sessions, SiteRules(rules), site, on_change=on_change)
