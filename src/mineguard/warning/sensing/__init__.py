"""Sensing: cleansing, alignment onto a common clock, and sensor health (seed 003 §3.1).

Batch (stored series: :func:`cleanse`, :func:`align`, :func:`assess_health`) and live (each arriving
reading: :class:`LiveCleanser`, :class:`RuleFeed`), sharing the checks of :mod:`.checks`.
Pure numpy and Python; no database, web or model imports. Values are in the canonical unit of their kind
(``mine.units.CANONICAL_UNITS``). Bad values are flagged, never dropped or changed.
"""

from mineguard.warning.sensing.align import align, resample, windows
from mineguard.warning.sensing.checks import BAD_FLAGS, Flag, flag_mask, flag_names
from mineguard.warning.sensing.cleanse import CleanseResult, CleanseSpec, cleanse
from mineguard.warning.sensing.health import HealthSpec, SensorHealth, assess_health
from mineguard.warning.sensing.live import LiveCleanser, RuleFeed
from mineguard.warning.sensing.profiles import KIND_PROFILES, KindProfile, profile_for

__all__ = [
    "BAD_FLAGS",
    "KIND_PROFILES",
    "CleanseResult",
    "CleanseSpec",
    "Flag",
    "HealthSpec",
    "KindProfile",
    "LiveCleanser",
    "RuleFeed",
    "SensorHealth",
    "align",
    "assess_health",
    "cleanse",
    "flag_mask",
    "flag_names",
    "profile_for",
    "resample",
    "windows",
]
