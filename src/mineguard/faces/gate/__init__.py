"""Gate cameras: who passes a check-in gate and which way, one identity decision per person passing."""

from mineguard.faces.gate.decide import GateCrop, GateDecision, TrackVerdict, decide_track, why_undecided
from mineguard.faces.gate.watch import GateSettings, GateWatch, HaarFaces

__all__ = [
    "GateCrop",
    "GateDecision",
    "GateSettings",
    "GateWatch",
    "HaarFaces",
    "TrackVerdict",
    "decide_track",
    "why_undecided",
]
