"""One camera read on its own thread: newest frame wins, failures reconnect with back-off.

In real-time mode (a control room watching live cameras) the reader keeps only the newest frame:
when inference falls behind, a frame nobody took is replaced and counted as dropped, so the
picture an operator sees is never minutes old. In offline mode (``realtime=False``, e.g. scoring
a recorded clip) the reader waits for each frame to be taken and nothing is dropped.

A source that cannot be opened, fails while reading, or (for a stream) ends, is closed and
opened again after a back-off that doubles from ``backoff_s[0]`` up to ``backoff_s[1]`` and
resets after the first good frame. :meth:`CameraReader.health` says how the camera is doing
(the camera-health alert is built from it); the reader never raises into its caller.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np

from mineguard.runtime.video.sources import FrameSource, SourceError, SourceOptions, open_source, pace

CameraState = Literal["connecting", "streaming", "stalled", "reconnecting", "ended", "stopped"]
log = logging.getLogger(__name__)
Opener = Callable[[str, str, SourceOptions], FrameSource]


@dataclass(frozen=True)
class Frame:
    """One frame as read: ``seq`` counts every frame read from the camera, dropped ones too.

    ``time`` is when it was read — for a recording read offline, when it was filmed (frame n at
    n / fps, the last one at the opening), since it is read faster than real time."""

    camera: str
    seq: int
    time: datetime
    rgb: np.ndarray


@dataclass(frozen=True)
class CameraHealth:
    camera: str
    state: CameraState
    frames_read: int
    frames_dropped: int
    reconnects: int
    last_frame_at: datetime | None
    last_error: str | None
    retry_in_s: float | None


class CameraReader:
    """Read ``source`` for ``camera`` on a daemon thread; take frames with :meth:`next_frame`."""

    def __init__(
        self,
        camera: str,
        source: str,
        options: SourceOptions | None = None,
        *,
        realtime: bool = True,
        stall_s: float = 10.0,
        backoff_s: tuple[float, float] = (1.0, 30.0),
        opener: Opener = open_source,
    ) -> None:
        if not (stall_s > 0):
            raise ValueError(f"stall_s must be > 0, got {stall_s}")
        if not (0 < backoff_s[0] <= backoff_s[1]):
            raise ValueError(f"backoff_s must be (first, longest) with 0 < first <= longest, got {backoff_s}")
        self.camera, self.source = camera, source
        self.options = options or SourceOptions()
        self.realtime, self.stall_s, self.backoff_s = realtime, stall_s, backoff_s
        self._opener = opener
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._slot: Frame | None = None
        self._state: CameraState = "connecting"
        self._read = self._dropped = self._reconnects = 0
        self._last_at: datetime | None = None
        self._last_mono: float | None = None
        self._error: str | None = None
        self._retry_at: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera}", daemon=True)

    def start(self) -> CameraReader:
        """Start reading (once; later calls do nothing)."""
        if self._thread.ident is None:
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0, *, error: str | None = None) -> None:
        """Stop reading; ``error`` says why when the camera is given up (e.g. its view is wrong)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        with self._cond:
            if self._state != "ended":
                self._state = "stopped"
            if error is not None:
                self._error = error
            self._slot = None

    @property
    def finished(self) -> bool:
        """True once a file has been read to its end (or the reader was stopped) and no frame waits."""
        with self._cond:
            return self._state in ("ended", "stopped") and self._slot is None

    def next_frame(self, timeout_s: float | None = None) -> Frame | None:
        """The newest frame not yet taken, waiting up to ``timeout_s``; None when there is none."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while self._slot is None and self._state not in ("ended", "stopped"):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame, self._slot = self._slot, None
            self._cond.notify_all()
            return frame

    def health(self) -> CameraHealth:
        with self._cond:
            state = self._state
            now = time.monotonic()
            if state == "streaming" and self._last_mono is not None and now - self._last_mono > self.stall_s:
                state = "stalled"
            retry = max(0.0, self._retry_at - now) if self._retry_at is not None else None
            return CameraHealth(
                self.camera, state, self._read, self._dropped, self._reconnects, self._last_at, self._error, retry
            )

    # -- the reading thread ------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                source = self._opener(self.camera, self.source, self.options)
            except Exception as exc:
                failures = self._wait_to_retry(failures, _describe(self.camera, exc))
                continue
            before = self._read
            try:
                ended = self._pump(source)
                error = None if ended else f"camera {self.camera!r}: the stream ended"
            except Exception as exc:
                ended, error = False, _describe(self.camera, exc)
            finally:
                source.close()
            if self._read > before:
                failures = 0  # the back-off starts again after a connection that gave frames
            if ended or self._stop.is_set():
                self._set_state("ended" if ended else "stopped")
                return
            failures = self._wait_to_retry(failures, error or "")

    def _pump(self, source: FrameSource) -> bool:
        """Read until the source ends (True for a file or folder) or fails (raises)."""
        started, count = time.monotonic(), 0
        self._set_state("streaming")
        recorded = source.kind in ("file", "folder")
        paced = source.fps if self.realtime and recorded else None
        # Offline, a recording is read faster than it was filmed: its frames keep their media time,
        # which ends when it was opened (a recording was filmed before now), so that no event a
        # recording raises lies in the future of the service it goes to.
        media_fps = source.fps if not self.realtime and recorded and source.fps else None
        filmed = datetime.now(UTC) - timedelta(seconds=source.duration_s or 0.0)
        while not self._stop.is_set():
            rgb = source.read()
            if rgb is None:
                return recorded
            count += 1
            self._publish(rgb, filmed + timedelta(seconds=count / media_fps) if media_fps else None)
            pace(paced, started, count)
        return False

    def _publish(self, rgb: np.ndarray, media_time: datetime | None) -> None:
        with self._cond:
            if not self.realtime:
                while self._slot is not None and not self._stop.is_set():
                    self._cond.wait(0.5)
            elif self._slot is not None:
                self._dropped += 1
            self._read += 1
            self._last_at, self._last_mono = datetime.now(UTC), time.monotonic()
            self._error, self._retry_at = None, None
            self._slot = Frame(self.camera, self._read, media_time or self._last_at, rgb)
            self._cond.notify_all()

    def _wait_to_retry(self, failures: int, error: str) -> int:
        failures += 1
        delay = min(self.backoff_s[1], self.backoff_s[0] * 2 ** (failures - 1))
        with self._cond:
            self._state, self._error = "reconnecting", error
            self._retry_at = time.monotonic() + delay
            self._reconnects += 1
            self._cond.notify_all()
        self._stop.wait(delay)
        return failures

    def _set_state(self, state: CameraState) -> None:
        with self._cond:
            self._state = state
            self._cond.notify_all()


def _describe(camera: str, exc: Exception) -> str:
    if isinstance(exc, SourceError):
        return str(exc)
    log.warning("camera %r failed", camera, exc_info=exc)
    return f"camera {camera!r}: {type(exc).__name__}: {exc}"
