"""What a site's own history and its operators' verdicts are, as the risk model's teacher reads them.

The running service keeps every sensor's cleansed readings and every alert with the reason an operator
gave when acknowledging it (``true_alarm``, ``false_alarm``, ``maintenance``, ``test``). Read back
(``services/alerts/feedback.py``), they are :class:`SiteSeries` (one sensor's readings with the limit that
judges it) and :class:`Verdict`s (a labelled alert about a device, with its open interval).
``site_samples`` cuts training windows from them; ``replay`` scores a model on them. Plain data: the
running service reads these without pulling in torch or the training engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from mineguard.warning.risk.base import Direction

VerdictKind = Literal["true_alarm", "false_alarm", "maintenance", "test"]
VERDICTS: tuple[VerdictKind, ...] = ("true_alarm", "false_alarm", "maintenance", "test")
NOT_PROCESS = ("maintenance", "test")


@dataclass(frozen=True)
class SiteSeries:
    """One sensor's cleansed readings: ``t_s`` (N,) ascending epoch seconds, ``values`` (N,) canonical unit,
    with the limit (and its direction) the risk model judges it against."""

    device_id: str
    t_s: np.ndarray
    values: np.ndarray
    limit: float
    op: Direction

    def __post_init__(self) -> None:
        if self.t_s.shape != self.values.shape or self.t_s.ndim != 1:
            raise ValueError(f"{self.device_id}: t_s and values must be 1-D and of equal length")
        if self.t_s.size > 1 and np.any(np.diff(self.t_s) < 0):
            raise ValueError(f"{self.device_id}: readings must be in time order")


@dataclass(frozen=True)
class Verdict:
    """An operator's reason on an alert about ``device_id`` that was open from ``start_s`` to ``end_s``;
    ``on_warning``: the alert was an early warning of the risk job (not a threshold or combined rule's alarm)."""

    device_id: str
    start_s: float
    end_s: float
    kind: VerdictKind
    alert_id: int | None = None
    on_warning: bool = False

    def __post_init__(self) -> None:
        if self.kind not in VERDICTS:
            raise ValueError(f"verdict '{self.kind}' is not one of {', '.join(VERDICTS)}")
        if self.end_s < self.start_s:
            raise ValueError(f"alert {self.alert_id}: ends ({self.end_s}) before it starts ({self.start_s})")
