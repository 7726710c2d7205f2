"""A recognised (or unknown) face at a camera as a platform event.

The dict is the wire format of ``POST /api/v1/events`` (``mineguard.services.ingest.events``):
``source`` "face", ``label`` "identified" (``asset_id`` = the miner) or "unknown_face", the
camera as ``device_id``, the match score as ``confidence``; at a check-in gate ``direction`` ("in"
going underground, "out" coming up) goes to ``attributes.direction`` for the headcount. Built
here without importing the services, so the ML core stays free of web and database code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mineguard.faces.detect import FaceBox
from mineguard.faces.identify import Identification
from mineguard.mine.headcount import DIRECTIONS


def face_event(
    result: Identification,
    *,
    t: datetime | None = None,
    device_id: str | None = None,
    zone_id: str | None = None,
    box: FaceBox | None = None,
    event_id: str | None = None,
    direction: str | None = None,
) -> dict[str, Any]:
    when = (t or datetime.now(UTC)).astimezone(UTC)
    event: dict[str, Any] = {
        "source": "face",
        "label": "identified" if result.person_id is not None else "unknown_face",
        "t": when.isoformat(),
        "confidence": round(min(max(float(result.score), 0.0), 1.0), 4),
        "attributes": {"nearest": result.nearest_id, "score": round(float(result.score), 4)},
    }
    if direction is not None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r} — use 'in' (going underground) or 'out'")
        event["attributes"]["direction"] = direction
    optional = {
        "device_id": device_id,
        "zone_id": zone_id,
        "asset_id": result.person_id,
        "event_id": event_id,
        "bbox": [float(box.x), float(box.y), float(box.x + box.w), float(box.y + box.h)] if box else None,
    }
    event.update({k: v for k, v in optional.items() if v is not None})
    return event
