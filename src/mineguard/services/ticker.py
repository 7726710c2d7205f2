"""A background thread that runs a callback every ``period_s`` seconds until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, callback: Callable[[], object], period_s: float, name: str = "mineguard-ticker") -> None:
        self.callback, self.period_s = callback, period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.callback()
            except Exception:  # keep ticking: one bad tick must not stop escalations
                log.exception("periodic task failed")
