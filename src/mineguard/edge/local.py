"""A sink for trying a camera's view without a service: events as JSON lines, evidence as files."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from mineguard.runtime.video import CameraHealth
from mineguard.runtime.watch import Evidence, WireEvent


class LocalSink:
    """Writes each event (and camera-health change) as one JSON line to ``out``; with ``folder``,
    a raised event's snapshot and clip are saved there as ``<event id>.jpg`` / ``.mp4``."""

    def __init__(self, out: TextIO | None = None, folder: Path | None = None) -> None:
        self.out, self.folder = out or sys.stdout, folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def send(self, camera: str, events: Sequence[WireEvent], evidence: Mapping[str, Evidence]) -> None:
        for event in events:
            wire = event.wire()
            files = evidence.get(event.event_id)
            if files is not None and self.folder is not None:
                stem = event.event_id.replace(":", "_")
                (self.folder / f"{stem}.jpg").write_bytes(files.snapshot_jpeg)
                wire["attributes"]["evidence"] = {"snapshot": f"{stem}.jpg"}
                if files.clip_mp4:
                    (self.folder / f"{stem}.mp4").write_bytes(files.clip_mp4)
                    wire["attributes"]["evidence"]["clip"] = f"{stem}.mp4"
            print(json.dumps({"event": wire}), file=self.out, flush=True)

    def health(self, health: CameraHealth) -> None:
        record = {"camera": health.camera, "state": health.state, "error": health.last_error}
        print(json.dumps({"camera_health": record}), file=self.out, flush=True)
