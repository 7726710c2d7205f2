"""Severity and the escalation ladder: operator → supervisor → manager.

An alert that nobody acknowledges within its severity's time climbs one rung and the next
people are told; acknowledging stops the climb. ``info`` never escalates. Severity is the
one enum of :mod:`mineguard.mine.rules.regulation`, shared by rules and alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mineguard.mine.rules.regulation import Severity

LADDER = ("operator", "supervisor", "manager")


@dataclass(frozen=True)
class EscalationPolicy:
    """Seconds an unacknowledged alert waits at each rung, per severity (None: never escalates)."""

    ack_timeout_s: dict[Severity, float | None] = field(
        default_factory=lambda: {
            Severity.INFO: None,
            Severity.WARNING: 600.0,
            Severity.CRITICAL: 120.0,
            Severity.EMERGENCY: 30.0,
        }
    )

    def timeout(self, severity: Severity | str) -> float | None:
        return self.ack_timeout_s.get(Severity(severity))

    @staticmethod
    def rung(level: int) -> str:
        return LADDER[min(level, len(LADDER) - 1)]
