"""What a guarded model remembers of its failing calls until the service reads them.

One home for the failure log of every model guard (``risk.fallback.FallbackRiskModel``,
``seismic_served.FallbackSeismicModel``): each failed call adds one line (why it failed) and
:meth:`FailureLog.take` hands them over and forgets them (the service counts them and raises a
model-health alert). Thread-safe.
"""

from __future__ import annotations

import threading


class FailureLog:
    def __init__(self) -> None:
        self._failures: list[str] = []
        self._lock = threading.Lock()

    def add(self, problem: str) -> None:
        with self._lock:
            self._failures.append(problem)

    def take(self) -> list[str]:
        """The failures since the last call (and forget them)."""
        with self._lock:
            failures, self._failures = self._failures, []
        return failures


def raised(exc: BaseException) -> str:
    """The failure line of a call that raised."""
    return f"raised {exc.__class__.__name__}: {str(exc)[:200]}"
