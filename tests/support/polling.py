"""Waiting in tests for something a background thread does (ingest, tickers, delivery).

A test helper, not part of the package: ``tests/support/`` is on ``sys.path`` through pytest's
``pythonpath`` option (pyproject.toml), so tests write ``from polling import wait_for``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, every: float = 0.05) -> T:
    """The first truthy value ``predicate`` returns within ``timeout`` seconds, else its last value
    (falsy) — so callers write ``assert wait_for(...)``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(every)
