"""Every kind of camera source, read for real: a video file, a folder, HTTP and RTSP over loopback."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from mineguard.runtime.video import SourceError, SourceOptions, open_source, source_kind
from videos import ramp, write_video


def read_all(source, limit: int = 1000) -> list[np.ndarray]:
    frames = []
    while len(frames) < limit and (frame := source.read()) is not None:
        frames.append(frame)
    return frames


@pytest.mark.parametrize(
    ("text", "kind"),
    [("rtsp://10.0.0.5/cam1", "stream"), ("HTTP://x/y.ts", "stream"), ("0", "webcam"), ("clip.mp4", "file")],
)
def test_source_kind_from_text(text: str, kind: str) -> None:
    assert source_kind(text) == kind


def test_video_file_gives_every_frame_in_order(tmp_path: Path) -> None:
    source = open_source("gate", str(write_video(tmp_path / "clip.mp4", 12)))
    assert source.kind == "file" and source.fps == pytest.approx(10.0)
    frames = read_all(source)
    source.close()
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    levels = [int(f.mean()) for f in frames]
    assert levels == sorted(levels) and abs(levels[5] - 50) <= 3


def test_looping_file_starts_again(tmp_path: Path) -> None:
    source = open_source("gate", str(write_video(tmp_path / "clip.mp4", 5)), SourceOptions(loop=True))
    frames = read_all(source, limit=12)
    source.close()
    assert len(frames) == 12 and int(frames[5].mean()) <= 3  # frame 6 is the first frame again


def test_folder_plays_in_name_order_and_skips_a_broken_image(tmp_path: Path) -> None:
    for i in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"frame_{i:03d}.png"), ramp(i + 1))
    (tmp_path / "frame_001b.jpg").write_bytes(b"not a jpeg")
    source = open_source("adit", str(tmp_path))
    assert source.kind == "folder"
    assert [int(f.mean()) for f in read_all(source)] == [10, 20, 30]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "no such file or folder, and not a stream URL"),
        (lambda d: (d / "notes.mp4").write_text("hello") and d / "notes.mp4", "cannot open"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "no images"),
    ],
)
def test_bad_sources_name_the_camera_and_the_fix(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(SourceError, match=message) as caught:
        open_source("cam-7", str(make(tmp_path)))
    assert "camera 'cam-7'" in str(caught.value)


def test_missing_webcam_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="webcam 97 cannot be opened"):
        open_source("desk", "97")


def test_refused_stream_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match=r"cannot open rtsp://127\.0\.0\.1:9/"):
        open_source("shaft", "rtsp://127.0.0.1:9/none", SourceOptions(timeout_s=2))


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="fps"):
        SourceOptions(fps=float("nan"))
    with pytest.raises(ValueError, match="rtsp_transport"):
        SourceOptions(rtsp_transport="smoke")  # type: ignore[arg-type]


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_http_stream(http_server: tuple[str, Path]) -> None:
    base, folder = http_server
    write_video(folder / "live.ts", 8, fmt="mpegts")
    source = open_source("portal", f"{base}/live.ts", SourceOptions(timeout_s=5))
    assert source.kind == "stream"
    assert len(read_all(source)) == 8
    source.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.mark.skipif(
    shutil.which("rtsp-server-perl") is None,
    reason="rtsp-server-perl not installed (Debian package rtsp-server-perl; .ci/run installs it)",
)
def test_rtsp_stream_from_a_local_server() -> None:
    """A camera pushes MPEG-4 video to a local RTSP server; MineGuard pulls it like any IP camera."""
    client_port, source_port = free_port(), free_port()
    server = subprocess.Popen(
        [
            *("rtsp-server-perl", "--clientport", str(client_port), "--serverport", str(source_port)),
            *("--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1", "--loglevel", "1"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop = threading.Event()
    try:
        wait_for_port(source_port)
        pusher = threading.Thread(target=_push_rtsp, args=(f"rtsp://127.0.0.1:{source_port}/cam", stop), daemon=True)
        pusher.start()
        time.sleep(1.0)
        options = SourceOptions(timeout_s=10, rtsp_transport="udp")
        source = open_source("cam-rtsp", f"rtsp://127.0.0.1:{client_port}/cam", options)
        frames = read_all(source, limit=10)
        source.close()
        assert len(frames) == 10 and frames[0].shape == (48, 64, 3)
    finally:
        stop.set()
        server.terminate()
        server.wait(10)


def _push_rtsp(url: str, stop: threading.Event) -> None:
    with av.open(url, "w", format="rtsp", options={"rtsp_transport": "udp"}) as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(300):
            if stop.is_set():
                break
            out.mux(stream.encode(av.VideoFrame.from_ndarray(ramp(i % 25), format="rgb24")))
            time.sleep(0.1)
