"""Feed the twin's approach signals (:mod:`mineguard.services.twin.proximity`) to the rule engine.

Called once per committed batch of tag fixes (the gateway readings route, or any other writer of
fixes): the batch's fixes go to the tracker, then one derivation at the batch's newest fix time,
whatever the batch's size. A failure is logged and swallowed: the fixes are already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from mineguard.mine.graph import ZoneGraph
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.twin.proximity import ApproachTracker, PersonFix, TwinSignal, derive

log = logging.getLogger(__name__)


def feed_approach(
    pipeline: AlertPipeline, graph: ZoneGraph, tracker: ApproachTracker, fixes: Sequence[PersonFix]
) -> list[TwinSignal]:
    """Record ``fixes`` (people's live fixes just committed), derive once, observe each signal; the signals."""
    if not fixes:
        return []
    try:
        for person in fixes:
            tracker.record(person.asset_id, person.fix)
        t = max(person.fix.t for person in fixes)
        with pipeline.sessions() as session:
            signals = derive(session, graph, tracker, t)
        for signal in signals:
            pipeline.observe_signal(signal.key, signal.t, signal.value, signal.zone_id, source=signal.source)
    except Exception:  # the fixes are stored; a derivation problem must not fail their batch
        log.exception("deriving approach signals from %d tag fixes failed", len(fixes))
        return []
    return signals
