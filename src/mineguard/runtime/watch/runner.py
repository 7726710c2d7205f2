"""Several cameras in one loop: each takes its newest frame in turn; events and camera health go to
a :class:`Sink`.

A camera that fails never stops the others: its reader reconnects on its own, the runner reports
each change of its health (``streaming`` → ``reconnecting`` → ``streaming``) to the sink once,
and an exception in the sink (the service is down) is logged and the frame's events are kept by
the sink's own queue, not lost by the loop. A file source that reaches its end clears what it
had raised and leaves the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mineguard.runtime.video import CameraHealth, Frame
from mineguard.runtime.watch.pipeline import Evidence, Outcome, StageTimes, Watch, WireEvent

log = logging.getLogger(__name__)


class Sink(Protocol):
    def send(self, camera: str, events: Sequence[WireEvent], evidence: Mapping[str, Evidence]) -> None: ...

    def health(self, health: CameraHealth) -> None: ...


@dataclass
class CameraStats:
    frames: int = 0
    events: int = 0
    error: str | None = None
    times: list[StageTimes] = field(default_factory=list)

    def mean_ms(self) -> dict[str, float]:
        if not self.times:
            return {}
        names = ("wait_ms", "detect_ms", "track_ms", "rules_ms", "evidence_ms")
        return {n: sum(getattr(t, n) for t in self.times) / len(self.times) for n in names}


class WatchRunner:
    def __init__(
        self,
        watches: Sequence[Watch],
        sink: Sink,
        *,
        keep_times: int = 10_000,
        max_fps: float | None = None,
        batch: bool = False,
    ) -> None:
        """``max_fps``: judge at most this many frames per second per camera (the newest; the rest
        are dropped by the reader), to leave CPU for other work; None: as fast as frames come.
        ``batch``: each round, the cameras sharing a detector with ``predict_batch`` (an export
        with ``--dynamic-batch``) are detected in one call — it pays with several inference
        threads (``docs/results/runtime_video.md``), hardly on one."""
        if len({w.camera for w in watches}) != len(watches):
            raise ValueError("each camera may be watched once; two watches share a camera id")
        if max_fps is not None and not max_fps > 0:
            raise ValueError(f"max_fps must be > 0, got {max_fps}")
        self.watches, self.sink, self.keep_times, self.batch = list(watches), sink, keep_times, batch
        self.min_interval_s = 1.0 / max_fps if max_fps else 0.0
        self._due: dict[str, float] = {}
        self.stats = {w.camera: CameraStats() for w in watches}
        self._reported: dict[str, str] = {}

    def run(self, stop: threading.Event | None = None, *, max_frames: int | None = None) -> dict[str, CameraStats]:
        """Watch until ``stop`` is set, every file source has ended, or ``max_frames`` were judged."""
        stop = stop or threading.Event()
        for watch in self.watches:
            watch.reader.start()
        live = list(self.watches)
        wait = 0.5 if len(live) == 1 else 0.0
        done = 0
        try:
            while live and not stop.is_set() and (max_frames is None or done < max_frames):
                ready: list[tuple[Watch, Frame, float]] = []
                outcomes: list[Outcome] = []
                for watch in list(live):
                    self._report_health(watch)
                    if time.monotonic() < self._due.get(watch.camera, 0.0):
                        continue
                    try:
                        if self.batch:
                            start = time.perf_counter()
                            frame = watch.take(0.0)
                            if frame is not None:
                                ready.append((watch, frame, 1000.0 * (time.perf_counter() - start)))
                            got = frame is not None
                        else:
                            outcome = watch.step(wait)
                            outcomes += [outcome] if outcome is not None else []
                            got = outcome is not None
                    except ValueError as exc:  # SceneError and the like: this camera's view or model is wrong
                        self._fail(watch, exc, live)
                        continue
                    if got:
                        self._due[watch.camera] = time.monotonic() + self.min_interval_s
                    elif watch.reader.finished:
                        self._finish(watch)
                        live.remove(watch)
                if ready:
                    outcomes += self._detect_together(ready, live)
                for outcome in outcomes:
                    done += 1
                    self._deliver(outcome)
                if not outcomes:
                    time.sleep(0.005)
        finally:
            for watch in live:
                self._finish(watch)
        return self.stats

    def _detect_together(self, ready: list[tuple[Watch, Frame, float]], live: list[Watch]) -> list[Outcome]:
        """One ``predict_batch`` per detector shared by several cameras; a camera alone, or a
        detector without batches, runs on its own. A batch that fails is retried camera by camera,
        so that the camera at fault is the one that stops."""
        groups: dict[int, list[tuple[Watch, Frame, float]]] = {}
        for item in ready:
            groups.setdefault(id(item[0].detector), []).append(item)
        outcomes = []
        for group in groups.values():
            detector = group[0][0].detector
            found = None
            if len(group) > 1 and hasattr(detector, "predict_batch"):
                start = time.perf_counter()
                try:
                    found = detector.predict_batch([frame.rgb for _, frame, _ in group])
                    each_ms = 1000.0 * (time.perf_counter() - start) / len(group)
                except ValueError:
                    found = None
            for i, (watch, frame, wait_ms) in enumerate(group):
                try:
                    if found is None:
                        start = time.perf_counter()
                        detections = watch.detector.predict(frame.rgb)
                        each_ms = 1000.0 * (time.perf_counter() - start)
                    else:
                        detections = found[i]
                    outcomes.append(watch.judge_frame(frame, detections, wait_ms, each_ms))
                except ValueError as exc:
                    self._fail(watch, exc, live)
        return outcomes

    def _fail(self, watch: Watch, exc: Exception, live: list[Watch]) -> None:
        log.error("%s — camera %r stops, the others go on", exc, watch.camera)
        self.stats[watch.camera].error = str(exc)
        self._finish(watch, str(exc))
        live.remove(watch)

    def _deliver(self, outcome: Outcome) -> None:
        stats = self.stats[outcome.camera]
        stats.frames += 1
        stats.events += len(outcome.events)
        if len(stats.times) < self.keep_times:
            stats.times.append(outcome.times)
        if outcome.events:
            self._send(outcome.camera, outcome.events, outcome.evidence)

    def _finish(self, watch: Watch, error: str | None = None) -> None:
        cleared = watch.close(error)
        self._report_health(watch)
        if cleared:
            self._send(watch.camera, cleared, watch.closing_evidence())

    def _send(self, camera: str, events: Sequence[WireEvent], evidence: Mapping[str, Evidence]) -> None:
        try:
            self.sink.send(camera, events, evidence)
        except Exception:  # the sink keeps what it could not send; the cameras go on
            log.exception("camera %r: sending %d event(s) failed", camera, len(events))

    def _report_health(self, watch: Watch) -> None:
        health = watch.reader.health()
        if self._reported.get(watch.camera) != health.state:
            self._reported[watch.camera] = health.state
            try:
                self.sink.health(health)
            except Exception:  # a broken sink must not stop the cameras
                log.exception("camera %r: reporting health failed", watch.camera)
