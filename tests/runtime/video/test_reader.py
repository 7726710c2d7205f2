"""The camera reader: newest frame wins in real time, nothing dropped offline, failures reconnect."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mineguard.runtime.video import CameraReader, SourceError, SourceOptions
from videos import write_video


class FakeSource:
    """A camera that gives ``frames`` frames as fast as asked, then ends (a file) or hangs up (a stream)."""

    def __init__(self, frames: int, kind: str = "stream", block: threading.Event | None = None) -> None:
        self.kind, self.fps, self.duration_s, self.left, self.block = kind, None, None, frames, block
        self.count = 0

    def read(self) -> np.ndarray | None:
        if self.block is not None and self.count >= 1:
            self.block.wait(30)  # a stalled camera: the read does not come back
        if self.left == 0:
            return None
        self.left -= 1
        self.count += 1
        return np.full((2, 2, 3), self.count, np.uint8)

    def close(self) -> None:
        pass


def opener_of(*sources):
    """An opener that hands out ``sources`` in turn; an exception in the list is raised instead."""
    queue = list(sources)

    def open_next(camera: str, source: str, options: SourceOptions):
        item = queue.pop(0) if queue else SourceError(camera, "no more")
        if isinstance(item, Exception):
            raise item
        return item

    return open_next


def wait_until(check, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_realtime_keeps_the_newest_frame_and_counts_the_dropped() -> None:
    reader = CameraReader("c", "x", opener=opener_of(FakeSource(200, kind="file"))).start()
    wait_until(lambda: reader.health().state == "ended")
    frame = reader.next_frame(1)
    health = reader.health()
    assert frame is not None and frame.seq == 200 and int(frame.rgb[0, 0, 0]) == 200 % 256
    assert health.frames_read == 200 and health.frames_dropped == 199
    assert reader.next_frame(0.05) is None and reader.finished


def test_offline_mode_drops_nothing() -> None:
    reader = CameraReader("c", "x", realtime=False, opener=opener_of(FakeSource(30, kind="file"))).start()
    seqs = []
    while (frame := reader.next_frame(5)) is not None:
        seqs.append(frame.seq)
    assert seqs == list(range(1, 31)) and reader.health().frames_dropped == 0


def test_failed_opens_back_off_then_stream() -> None:
    fails = [SourceError("c", "refused"), OSError("network unreachable")]
    reader = CameraReader("c", "x", backoff_s=(0.05, 0.1), opener=opener_of(*fails, FakeSource(5, kind="file")))
    reader.start()
    wait_until(lambda: reader.health().state == "ended")
    health = reader.health()
    assert health.reconnects == 2 and health.frames_read == 5 and health.last_error is None


def test_a_stream_that_hangs_up_is_reopened() -> None:
    reader = CameraReader(
        "c", "x", backoff_s=(0.05, 0.05), opener=opener_of(FakeSource(3), FakeSource(4), FakeSource(2, kind="file"))
    ).start()
    wait_until(lambda: reader.health().state == "ended")
    assert reader.health().frames_read == 9 and reader.health().reconnects == 2


def test_health_while_reconnecting_says_why_and_when() -> None:
    reader = CameraReader("c", "x", backoff_s=(5.0, 30.0), opener=opener_of(SourceError("c", "401 Unauthorized")))
    reader.start()
    wait_until(lambda: reader.health().state == "reconnecting")
    health = reader.health()
    reader.stop()
    assert "401 Unauthorized" in health.last_error and 0 < health.retry_in_s <= 5.0
    assert reader.health().state == "stopped"


def test_an_unexpected_error_in_a_source_only_makes_it_retry() -> None:
    class Broken(FakeSource):
        def read(self):
            raise RuntimeError("decoder exploded")

    reader = CameraReader("c", "x", backoff_s=(0.05, 0.05), opener=opener_of(Broken(1), FakeSource(1, kind="file")))
    reader.start()
    wait_until(lambda: reader.health().state == "ended")
    assert reader.health().frames_read == 1 and reader.health().reconnects == 1


def test_a_stalled_camera_is_reported() -> None:
    block = threading.Event()
    reader = CameraReader("c", "x", stall_s=0.2, opener=opener_of(FakeSource(5, block=block))).start()
    try:
        wait_until(lambda: reader.health().state == "stalled")
        assert reader.health().frames_read == 1
    finally:
        block.set()
        reader.stop()


def test_real_file_is_played_at_its_own_rate(tmp_path: Path) -> None:
    clip = write_video(tmp_path / "clip.mp4", 10)  # 10 frames at 10 fps: about a second
    reader = CameraReader("c", str(clip)).start()
    started = time.monotonic()
    seen = []
    while (frame := reader.next_frame(5)) is not None:
        seen.append(frame.seq)
    elapsed = time.monotonic() - started
    assert seen[-1] == 10 and elapsed >= 0.8
    assert reader.health().state == "ended"


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="backoff_s"):
        CameraReader("c", "x", backoff_s=(5.0, 1.0))
    with pytest.raises(ValueError, match="stall_s"):
        CameraReader("c", "x", stall_s=0)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_recording_read_offline_ends_when_it_was_opened(tmp_path: Path, kind: str) -> None:
    """Offline, frames keep their media time (1/fps apart) and the last one is no later than the
    moment the recording was opened: an event a recording raises never lies in the future."""
    from datetime import UTC, datetime

    from PIL import Image

    if kind == "file":
        source = str(write_video(tmp_path / "clip.mp4", 20))
    else:
        source = str(tmp_path / "frames")
        (tmp_path / "frames").mkdir()
        for i in range(20):
            Image.new("RGB", (32, 24), (i, i, i)).save(tmp_path / "frames" / f"{i:03d}.png")
    before = datetime.now(UTC)
    reader = CameraReader("c", source, SourceOptions(fps=10), realtime=False).start()
    times = []
    while (frame := reader.next_frame(5)) is not None:
        times.append(frame.time)
    gaps = {round((b - a).total_seconds(), 3) for a, b in itertools.pairwise(times)}
    assert len(times) == 20 and gaps == {0.1}
    assert times[-1] <= datetime.now(UTC) and (before - times[0]).total_seconds() >= 1.8
