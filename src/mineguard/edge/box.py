"""The camera box running in the background: cameras to the service until stopped (``mineguard demo``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from mineguard.edge.sink import ServiceSink
from mineguard.runtime.watch import CameraStats, CameraWatch, WatchRunner

DEMO_CLIP = "underground_coalmine.mp4"
HELMET_MODEL = "helmet_yolov10n_ca_rf3.onnx"


def shipped(name: str, folder: str) -> Path | None:
    """A file shipped in ``mineguard.edge``'s ``folder`` (the demo clip, the CC BY helmet model), if present."""
    path = Path(str(resources.files("mineguard.edge").joinpath(folder).joinpath(name)))
    return path if path.is_file() else None


class CameraBox:
    def __init__(self, watches: Sequence[CameraWatch], sink: ServiceSink, *, max_fps: float | None = None) -> None:
        self.runner, self.sink = WatchRunner(watches, sink, max_fps=max_fps), sink
        self._stop = threading.Event()
        self._stats: dict[str, CameraStats] = {}
        self._thread = threading.Thread(target=self._run, name="mineguard-camera-box", daemon=True)

    def start(self) -> CameraBox:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> dict[str, CameraStats]:
        self._stop.set()
        self._thread.join(timeout_s)
        self.sink.flush()
        self.sink.close()
        return self._stats

    def _run(self) -> None:
        self._stats = self.runner.run(self._stop)
