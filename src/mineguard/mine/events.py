"""Events from sources other than sensors, as records: who produced them and what the rules see.

The wire format, its checks and storage are the platform's (``services/ingest/events.py``,
``POST /api/v1/events``); an accepted event becomes the rule engine's signal ``<source>.<label>``
in its zone (e.g. ``vision.no_helmet`` in ``face_gate_1101``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

LABEL_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"  # what was seen, lower_snake_case, e.g. no_helmet


class EventSource(StrEnum):
    VISION = "vision"  # a camera detector (PPE, fire/smoke, intrusion)
    FACE = "face"  # face recognition at a gate or camera
    TAG = "tag"  # a wearable tag (fall or faint, SOS button)
    OPERATOR = "operator"  # a person reporting through a console or radio
    SYSTEM = "system"  # another MineGuard job (e.g. a forecast model)
    TERRAIN = "terrain"  # a change in satellite maps of an open pit (mineguard terrain change)


@dataclass(frozen=True)
class StoredEvent:
    """An accepted event as the rule engine sees it."""

    id: int
    signal_key: str
    t: datetime
    zone_id: str | None
    value: bool | float
    asset_id: str | None
