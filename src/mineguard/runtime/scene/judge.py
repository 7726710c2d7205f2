"""From tracks to vision events: what a camera saw, held long enough to count, cleared when it stops.

Each confirmed track of a frame (``runtime.tracking``) is judged against the camera's rules:

- **class events** — a detector class mapped to an event label by configuration (``no_helmet``
  → ``no_helmet``, ``fire`` → ``fire``, ``smoke`` → ``smoke``), so any detector plugs in without
  code;
- **regions** — a person's foot point inside a ``restricted`` region is ``restricted_entry``,
  inside a ``danger`` region ``person_in_danger_area``, inside a ``watch`` region for
  ``loiter_s`` seconds ``loitering``.

Inertia and hysteresis: a condition must hold for ``raise_s`` (``loiter_s`` for loitering) before
its event is raised, and must be absent for ``clear_s`` before it clears, so a box that flickers
for a frame neither raises nor clears anything. One event per (track, label, region) is raised
and later cleared; both go out as :class:`VisionEvent` and, on the wire, as the platform's
``POST /api/v1/events`` objects (``value`` true when raised, false when cleared).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mineguard.runtime.scene.regions import Region, SceneError, foot_point
from mineguard.runtime.tracking import Track

REGION_LABELS = {"restricted": "restricted_entry", "danger": "person_in_danger_area", "watch": "loitering"}


@dataclass(frozen=True)
class ClassRule:
    """Detector class ``detector_class`` seen at ``min_confidence`` or more is event ``label``."""

    detector_class: str
    label: str
    min_confidence: float = 0.25


@dataclass(frozen=True)
class SceneRules:
    class_events: tuple[ClassRule, ...] = ()
    person_classes: tuple[str, ...] = ("person", "helmet", "no_helmet", "head")
    raise_s: float = 1.0
    clear_s: float = 2.0
    loiter_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("raise_s", "clear_s", "loiter_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise SceneError(f"rules.{name} must be a number of seconds >= 0, got {value!r}")
        for i, rule in enumerate(self.class_events):
            if not 0.0 <= rule.min_confidence <= 1.0:
                raise SceneError(f"rules.class_events[{i}].min_confidence must be in [0, 1], got {rule.min_confidence}")


@dataclass(frozen=True)
class VisionEvent:
    camera: str
    zone: str
    label: str
    raised: bool
    track_id: int
    class_name: str
    confidence: float
    xyxy: tuple[float, float, float, float]
    region: str | None
    first_seen: datetime
    t: datetime

    @property
    def event_id(self) -> str:
        start = int(self.first_seen.timestamp() * 1000)
        return (
            f"{self.camera}:{self.label}:{self.track_id}:{self.region or '-'}:{start}:{'on' if self.raised else 'off'}"
        )

    def wire(self) -> dict[str, Any]:
        """The event as ``POST /api/v1/events`` takes it (``mineguard.services.ingest.events``)."""
        return {
            "source": "vision",
            "label": self.label,
            "t": self.t.astimezone(UTC).isoformat(),
            "device_id": self.camera,
            "zone_id": self.zone,
            "confidence": round(min(max(self.confidence, 0.0), 1.0), 4),
            "value": self.raised,
            "bbox": [round(v, 1) for v in self.xyxy],
            "event_id": self.event_id,
            "attributes": {
                "track": self.track_id,
                "class": self.class_name,
                "region": self.region,
                "first_seen": self.first_seen.astimezone(UTC).isoformat(),
            },
        }


@dataclass
class _Condition:
    first: datetime
    last: datetime
    confidence: float
    xyxy: tuple[float, float, float, float]
    class_name: str
    raised: bool = False


@dataclass
class SceneJudge:
    """Judge one camera's tracks, frame after frame; :meth:`update` returns the events to send."""

    camera: str
    zone: str
    names: Sequence[str]
    regions: Sequence[Region] = ()
    rules: SceneRules = field(default_factory=SceneRules)

    def __post_init__(self) -> None:
        known = set(self.names)
        for i, rule in enumerate(self.rules.class_events):
            if rule.detector_class not in known:
                raise SceneError(
                    f"camera {self.camera!r}: rules.class_events[{i}].detector_class {rule.detector_class!r} is not "
                    f"a class of the detector (its classes: {', '.join(self.names)})"
                )
        self._open: dict[tuple[int, str, str | None], _Condition] = {}

    def update(self, t: datetime, tracks: Sequence[Track]) -> list[VisionEvent]:
        """Judge the tracks seen at ``t``; the events raised or cleared by this frame."""
        seen = self._conditions(tracks)
        events: list[VisionEvent] = []
        for key, (confidence, xyxy, class_name) in seen.items():
            state = self._open.get(key)
            if state is None:
                state = self._open[key] = _Condition(t, t, confidence, xyxy, class_name)
            state.last, state.confidence, state.xyxy = t, max(state.confidence, confidence), xyxy
            hold = self.rules.loiter_s if key[1] == "loitering" else self.rules.raise_s
            if not state.raised and (t - state.first).total_seconds() >= hold:
                state.raised = True
                events.append(self._event(key, state, t, raised=True))
        for key in [k for k in self._open if k not in seen]:
            state = self._open[key]
            if (t - state.last).total_seconds() >= self.rules.clear_s:
                del self._open[key]
                if state.raised:
                    events.append(self._event(key, state, t, raised=False))
        return events

    def close(self, t: datetime) -> list[VisionEvent]:
        """Clear every raised event (the camera stops); nothing stays raised on a dead camera."""
        events = [self._event(k, s, t, raised=False) for k, s in self._open.items() if s.raised]
        self._open.clear()
        return events

    def _conditions(self, tracks: Sequence[Track]) -> dict[tuple[int, str, str | None], tuple[float, Any, str]]:
        found: dict[tuple[int, str, str | None], tuple[float, Any, str]] = {}
        for track in tracks:
            if not 0 <= track.class_id < len(self.names):
                continue  # a class the names do not know: not judged
            name = self.names[track.class_id]
            xyxy = tuple(float(v) for v in track.xyxy)
            for rule in self.rules.class_events:
                if rule.detector_class == name and track.score >= rule.min_confidence:
                    found[(track.track_id, rule.label, None)] = (float(track.score), xyxy, name)
            if name in self.rules.person_classes:
                x, y = foot_point(track.xyxy)
                for region in self.regions:
                    if region.contains(x, y):
                        found[(track.track_id, REGION_LABELS[region.kind], region.name)] = (
                            float(track.score),
                            xyxy,
                            name,
                        )
        return found

    def _event(self, key: tuple[int, str, str | None], state: _Condition, t: datetime, *, raised: bool) -> VisionEvent:
        track_id, label, region_name = key
        region = next((r for r in self.regions if r.name == region_name), None)
        zone = region.zone if region is not None and region.zone else self.zone
        return VisionEvent(
            self.camera,
            zone,
            label,
            raised,
            track_id,
            state.class_name,
            state.confidence,
            state.xyxy,
            region_name,
            state.first,
            t,
        )
