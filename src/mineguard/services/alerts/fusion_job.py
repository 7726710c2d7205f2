"""Multimodal early warnings: the served ``multimodal`` model on each zone's live window.

Every ``fusion_check_s`` (``services/lifecycle.py``) :func:`check_fusion` builds, for each zone with a
commissioned sensor of a kind the model knows, the window the model was trained on
(``warning/window_served.py``: ``window_steps`` steps of ``step_s`` ending now) from the store:

- ``sensors``: the model's ``channels`` are sensor kinds (``methane``, ``co``, ``o2``, ``temperature``,
  ``wind_speed``, ``dust``, ``roof_pressure``, ``vibration``, ``bearing_temp`` in the simulated episodes of
  ``sim/episode_config.py``), so a channel is the zone's sensors of that kind: per step the mean of their
  cleansed readings (those flagged by the live cleansing, ``BAD_FLAGS``, left out; canonical units), NaN
  where the zone has no such sensor or no reading in the step; the modality is absent when the zone has
  no reading at all in the window;
- ``vision``: per step the count of camera events (source ``vision``) of each label the model knows, from
  the zone's cameras or naming the zone; other labels are ignored; absent when the zone has no camera and
  no such event;
- ``text``: absent. The platform has no live store of text records (shift logs, incident notes) per zone
  yet, so the text modality is always off, as a zone without a record was in training.

It asks the model (``served_models.ServedModels.get("multimodal")``: the registry's active version,
guarded) for the hazard and risk-level probabilities. When the most likely risk level is ``warning`` or
``alarm``, or the probability of any hazard reaches the model's threshold (the ``alarm_threshold`` stored in
the file by ``mineguard warn train multimodal``), a warning ``fusion:<zone>:<hazard>`` with rule id
``fusion.<hazard>`` is raised for the most likely hazard (updated while it holds; when the model's most
likely hazard changes, the zone's warning for the old one is resolved and one for the new one raised, so an
alert's rule id and title always name the hazard it is about), e.g.

    multimodal v1 (window-gbm, trained on simulated episodes) sees gas developing in Longwall face 1101:
    p(gas)=0.97, p(any hazard)=0.97 (warns from 0.50), risk level warning (p=0.97) — the last 1 min: methane
    0.3 → 1.2 % (max 1.2); temperature 20 → 20 degC (max 20); camera events: 2 no_helmet — check Longwall face 1101

with the window summary as evidence; it is resolved when the condition no longer holds (for p(any hazard):
once it falls below ``CLEAR_FRACTION`` (0.8) of the threshold, so a warning does not flap), or when the model
gives no answer (no version active, or a version that fails: the fall-back is no fusion warning, and
``ServedModels.check_health`` raises the model-health alert). The model was trained on SIMULATED episodes
only (``sim/episodes.py``): a fusion warning is a model's opinion, never a measured rate; the threshold
rules and the risk job keep warning whatever it says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.hazards import HAZARD_NAMES
from mineguard.mine.rules.regulation import Severity
from mineguard.mine.units import CANONICAL_UNITS
from mineguard.services.alerts import book
from mineguard.services.alerts.policy import EscalationPolicy
from mineguard.services.ingest.history import commissioned_sensors, recent_readings
from mineguard.services.storage.models import Alert, Device, SourceEvent, Zone
from mineguard.warning.sensing.checks import BAD_FLAGS
from mineguard.warning.window_served import FusionAssessment, LiveWindow, WindowLayout

PREFIX = "fusion:"
CLEAR_FRACTION = 0.8  # an open warning resolves once p(any hazard) falls below this share of the threshold


class FusionModel(Protocol):
    name: str
    layout: WindowLayout | None  # None: nothing serves (no active version, or it failed to load)

    def assess(self, window: LiveWindow) -> FusionAssessment | None: ...


@dataclass(frozen=True)
class ZoneWindow:
    """One zone's live window and what it was built from (the alert's evidence)."""

    zone_id: str
    window: LiveWindow
    start: datetime
    end: datetime
    devices: dict[str, str]  # device id -> sensor kind
    cameras: tuple[str, ...]

    def summary(self, layout: WindowLayout) -> dict[str, Any]:
        """Per channel with readings: first / last / min / max step means and the readings' unit; camera
        events per label; the modality flags."""
        sensors: dict[str, dict[str, Any]] = {}
        for i, channel in enumerate(layout.channels):
            column = self.window.sensors[:, i]
            seen = column[np.isfinite(column)]
            if seen.size:
                sensors[channel] = {
                    "first": round(float(seen[0]), 4),
                    "last": round(float(seen[-1]), 4),
                    "min": round(float(seen.min()), 4),
                    "max": round(float(seen.max()), 4),
                    "steps_with_readings": int(seen.size),
                    "unit": CANONICAL_UNITS.get(channel, ""),
                }
        events = {label: int(self.window.vision[:, j].sum()) for j, label in enumerate(layout.vision_labels)}
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "step_s": layout.step_s,
            "steps": layout.window_steps,
            "sensors": sensors,
            "camera_events": {k: v for k, v in events.items() if v},
            "present": dict(zip(("sensors", "vision", "text"), self.window.present, strict=True)),
            "text": "none: the platform keeps no live text records per zone",
            "devices": dict(sorted(self.devices.items())),
            "cameras": list(self.cameras),
        }


def check_fusion(
    sessions: sessionmaker[Session],
    now: datetime,
    model: FusionModel,
    *,
    model_label: str | None = None,
    policy: EscalationPolicy | None = None,
    texts: EarlyWarningConfig | None = None,
) -> list[book.AlertChange]:
    """One round (see the module docs); ``model_label`` names the served version (``multimodal v1``);
    ``texts`` the site's ``early_warning:`` section (the action per hazard; none: the generic one)."""
    label = model_label or model.name
    changes: list[book.AlertChange] = []
    with sessions() as session, session.begin():
        open_keys = open_fusion_keys(session)  # once a round: judging a zone changes that zone's warnings only
        by_zone: dict[str, list[str]] = defaultdict(list)
        for key in open_keys:
            by_zone[zone_of(key)].append(key)
        judged: set[str] = set()
        if model.layout is not None:
            for zone_window in live_windows(session, model.layout, now):
                judged.add(zone_window.zone_id)
                changes += _judge(
                    session,
                    zone_window,
                    by_zone.get(zone_window.zone_id, []),
                    model,
                    model.layout,
                    label,
                    now,
                    policy,
                    texts or EarlyWarningConfig(),
                )
        for key in open_keys:  # zones not judged this round: nothing says it still holds
            if zone_of(key) not in judged:
                change = book.condition_cleared(session, key, now, f"{label}: no multimodal model judges the zone")
                if change is not None:
                    changes.append(change)
    return changes


def _judge(
    session: Session,
    zw: ZoneWindow,
    open_keys: list[str],
    model: FusionModel,
    layout: WindowLayout,
    label: str,
    now: datetime,
    policy: EscalationPolicy | None,
    texts: EarlyWarningConfig,
) -> list[book.AlertChange]:
    """The zone's warning for the most likely hazard raised or updated, its others resolved (all of them
    when the model does not warn or gives no answer); an open warning is kept as it is while p(any hazard)
    stays at or above ``CLEAR_FRACTION`` of the threshold, so that it does not flap at the threshold.
    ``open_keys``: the zone's open fusion warnings at the start of the round."""
    a = model.assess(zw.window)
    suspected = a is not None and not a.warn and a.any_hazard >= CLEAR_FRACTION * a.threshold
    if suspected and open_keys:
        return []  # still suspected: the open warning stays
    if a is None:
        why = f"{label} gave no answer (see the model-health alert)"
    elif not a.warn:
        below = a.threshold if not open_keys else CLEAR_FRACTION * a.threshold
        why = f"risk level {a.risk_level}, p(any hazard)={a.any_hazard:.2f} below {below:.2f}"
    else:
        why = f"{label} now sees {a.hazard} as the most likely hazard (p={a.hazard_probability:.2f})"
    key = None if a is None or not a.warn else fusion_key(zw.zone_id, a.hazard)
    others = [old for old in open_keys if old != key]
    changes = [c for c in (book.condition_cleared(session, old, now, why) for old in others) if c is not None]
    if a is None or key is None:
        return changes
    zone = session.get(Zone, zw.zone_id)
    name = zone.name if zone is not None else zw.zone_id
    summary = zw.summary(layout)
    hazard = HAZARD_NAMES.get(a.hazard, a.hazard)
    raised = book.raise_or_update(
        session,
        key=key,
        rule_id=f"fusion.{a.hazard}",
        severity=Severity.WARNING,
        t=now,
        zone_id=zw.zone_id if zone is not None else None,
        subject_id=zw.zone_id,
        title=f"{hazard} hazard developing in {name} (multimodal model, p={a.hazard_probability:.2f})",
        message=describe(name, a, label, summary, texts.hazard_action(a.hazard, name)),
        policy=policy or EscalationPolicy(),
        evidence={
            "model": label,
            "hazard": a.hazard,
            "probability": a.hazard_probability,
            "any_hazard": a.any_hazard,
            "threshold": a.threshold,
            "risk_level": a.risk_level,
            "risk": a.risk,
            "trained_on": "simulated episodes",
            "window": summary,
        },
    )
    return changes if raised is None else [*changes, raised]


def describe(zone_name: str, a: FusionAssessment, label: str, summary: Mapping[str, Any], action: str) -> str:
    """The warning's message: the hazard, its probability, the model and the window's readings and events."""
    minutes = summary["steps"] * summary["step_s"] / 60
    seen = [
        f"{channel} {s['first']:.3g} → {s['last']:.3g} {s['unit']} (max {s['max']:.3g})"
        for channel, s in summary["sensors"].items()
    ]
    events = [f"{n} {label_}" for label_, n in summary["camera_events"].items()]
    window = "; ".join(seen) or "no sensor readings"
    if events:
        window += "; camera events: " + ", ".join(events)
    return (
        f"{label} ({a.model}, trained on simulated episodes) sees {a.hazard} developing in {zone_name}: "
        f"p({a.hazard})={a.hazard_probability:.2f}, p(any hazard)={a.any_hazard:.2f} (warns from {a.threshold:.2f}), "
        f"risk level {a.risk_level} (p={a.risk[a.risk_level]:.2f}) — the last {minutes:.0f} min: {window} "
        f"— {action}"
    )


def live_windows(session: Session, layout: WindowLayout, now: datetime) -> list[ZoneWindow]:
    """The window of each zone with a commissioned sensor of one of the layout's channels (sensor kinds)."""
    start = now - timedelta(seconds=layout.span_s)
    channel = {kind: i for i, kind in enumerate(layout.channels)}
    zones: dict[str, dict[str, str]] = defaultdict(dict)
    for device in commissioned_sensors(session):
        if device.zone_id and device.sensor_kind in channel:
            zones[device.zone_id][device.id] = device.sensor_kind
    cameras: dict[str, list[str]] = defaultdict(list)
    for camera_id, zone_id in session.execute(select(Device.id, Device.zone_id).where(Device.kind == "camera")):
        cameras[zone_id or ""].append(camera_id)
    out = []
    for zone_id, devices in sorted(zones.items()):
        sensors = _sensor_steps(session, layout, devices, channel, start)
        vision, seen = _vision_steps(session, layout, zone_id, cameras.get(zone_id, []), start, now)
        present = (bool(np.isfinite(sensors).any()), bool(cameras.get(zone_id)) or seen, False)
        window = LiveWindow(sensors, vision, "", present)
        out.append(ZoneWindow(zone_id, window, start, now, devices, tuple(sorted(cameras.get(zone_id, [])))))
    return out


def _step(t: datetime, start: datetime, layout: WindowLayout) -> int | None:
    """The window step of time ``t`` (None outside the window ``(start, start + span]``)."""
    offset = (t - start).total_seconds()
    if offset < 0 or offset > layout.span_s:
        return None
    return min(layout.window_steps - 1, int(offset // layout.step_s))


def _sensor_steps(
    session: Session,
    layout: WindowLayout,
    devices: Mapping[str, str],
    channel: Mapping[str, int],
    start: datetime,
) -> np.ndarray:
    """(T, S): per step and channel the mean of the zone's cleansed readings, NaN without one."""
    total = np.zeros((layout.window_steps, len(layout.channels)))
    count = np.zeros_like(total)
    for device_id, kind in devices.items():
        for t, value in recent_readings(session, device_id, start, without_flags=int(BAD_FLAGS)):
            k = _step(t, start, layout)
            if k is not None:
                total[k, channel[kind]] += value
                count[k, channel[kind]] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _vision_steps(
    session: Session, layout: WindowLayout, zone_id: str, cameras: list[str], start: datetime, now: datetime
) -> tuple[np.ndarray, bool]:
    """(T, V) camera events per step and known label, and whether any vision event was seen at all."""
    counts = np.zeros((layout.window_steps, len(layout.vision_labels)))
    label_index = {label: j for j, label in enumerate(layout.vision_labels)}
    where = SourceEvent.zone_id == zone_id
    if cameras:
        where = or_(where, SourceEvent.device_id.in_(cameras))
    rows = session.execute(
        select(SourceEvent.t, SourceEvent.label).where(
            SourceEvent.source == "vision", SourceEvent.t >= start, SourceEvent.t <= now, where
        )
    ).all()
    for t, label in rows:
        k = _step(t, start, layout)
        if k is not None and label in label_index:
            counts[k, label_index[label]] += 1
    return counts, bool(rows)


def fusion_key(zone_id: str, hazard: str) -> str:
    return f"{PREFIX}{zone_id}:{hazard}"


def zone_of(key: str) -> str:
    """The zone of a fusion warning's key (``fusion:<zone>:<hazard>``)."""
    return key.removeprefix(PREFIX).rsplit(":", 1)[0]


def open_fusion_keys(session: Session) -> list[str]:
    """The keys of the open or acknowledged fusion warnings of every zone, sorted."""
    return sorted(session.scalars(select(Alert.key).where(Alert.key.like(f"{PREFIX}%"), Alert.state.in_(book.ACTIVE))))
