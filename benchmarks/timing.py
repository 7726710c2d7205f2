"""The one way the speed benchmarks time a step: warm-up calls, then the median of timed calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(step: Callable[[], object], *, warmup: int, runs: int) -> float:
    """Median wall time of ``step()`` over ``runs`` calls after ``warmup`` untimed ones, in milliseconds."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
