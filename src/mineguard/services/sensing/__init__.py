"""Sensing: cleansing, alignment onto a common clock, and sensor health (seed 003 §3.1).

Pure numpy; no database, web or model imports. Values are in the canonical unit of their kind
(``services.ingest.units.CANONICAL_UNITS``). Bad values are flagged, never dropped or changed.
"""

from mineguard.services.sensing.align import align, resample, windows
from mineguard.services.sensing.cleanse import CleanseResult, CleanseSpec, Flag, cleanse
from mineguard.services.sensing.health import HealthSpec, SensorHealth, assess_health
from mineguard.services.sensing.profiles import KIND_PROFILES, KindProfile, profile_for

__all__ = [
    "KIND_PROFILES",
    "CleanseResult",
    "CleanseSpec",
    "Flag",
    "HealthSpec",
    "KindProfile",
    "SensorHealth",
    "align",
    "assess_health",
    "cleanse",
    "profile_for",
    "resample",
    "windows",
]
