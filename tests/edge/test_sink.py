"""The camera box's sink against a real service on loopback: evidence uploaded and linked, events
and camera health stored, nothing lost while the service is away."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml

from local_service import local_service
from mineguard.cli.demo import HOST, free_port
from mineguard.edge.cameras import CameraPlan, build_watch
from mineguard.edge.sink import ServiceSink, login_token
from mineguard.mine.cameras import CameraView
from mineguard.mine.site import SAMPLE_SITE
from mineguard.runtime.scene import VisionEvent
from mineguard.runtime.video import CameraHealth
from mineguard.runtime.watch import Evidence, WatchRunner, encode_clip, encode_jpeg

CAMERA = "cam-face-gate-1101"


def vision_event(i: int, raised: bool = True) -> VisionEvent:
    t = datetime.now(UTC) + timedelta(milliseconds=i)
    return VisionEvent(CAMERA, "face_gate_1101", "no_helmet", raised, i, "nohelmet", 0.8, (1, 2, 30, 40), None, t, t)


def test_events_with_evidence_and_health_reach_the_service(tmp_path: Path) -> None:
    frames = [np.full((48, 64, 3), 40 * k, np.uint8) for k in range(4)]
    files = Evidence(encode_jpeg(frames[0]), encode_clip(frames, 5))
    with local_service(tmp_path) as service, service.client() as client:
        client.login()
        secret = client.register_gateway("gw-faces")
        sink = ServiceSink(service.url, "gw-faces", secret)
        event = vision_event(1)
        sink.send(CAMERA, [event], {event.event_id: files})
        sink.health(CameraHealth(CAMERA, "reconnecting", 10, 2, 1, None, "camera 'x': 401 Unauthorized", 4.0))
        sink.close()
        assert sink.stats.sent == 2 and sink.stats.evidence == 2 and sink.waiting == 0
        stored = client.get("/events", label="no_helmet")
        assert len(stored) == 1 and stored[0]["device_id"] == CAMERA
        named = stored[0]["attributes"]["evidence"]
        assert set(named) == {"snapshot", "clip"}
        down = client.get("/events", label="camera_down")
        assert down[0]["value"] == 1.0 and "401 Unauthorized" in down[0]["attributes"]["error"]


def test_events_wait_while_the_service_is_away_then_go(tmp_path: Path) -> None:
    port = free_port()
    with local_service(tmp_path, port=port) as service, service.client() as client:
        client.login()
        secret = client.register_gateway("gw-faces")
    away = ServiceSink(f"http://{HOST}:{port}", "gw-faces", secret, timeout_s=2)
    away.send(CAMERA, [vision_event(1), vision_event(2, raised=False)], {})
    assert away.waiting == 2 and away.stats.failures == 1 and away.stats.sent == 0
    with local_service(tmp_path, port=port) as service, service.client() as client:  # the same database
        assert away.flush() and away.waiting == 0 and away.stats.sent == 2
        client.login()
        assert len(client.get("/events", label="no_helmet")) == 2
    away.close()


def test_a_full_queue_drops_the_oldest_and_counts_them() -> None:
    sink = ServiceSink(f"http://{HOST}:{free_port()}", "gw", "s", timeout_s=0.5, max_queue=3)
    sink.send(CAMERA, [vision_event(i) for i in range(5)], {})
    assert sink.waiting == 3 and sink.stats.dropped == 2
    sink.close()


def test_a_managers_token_does_instead_of_gateway_credentials(tmp_path: Path) -> None:
    with local_service(tmp_path) as service, service.client() as client:
        sink = ServiceSink(service.url, token=login_token(service.url, service.username, service.password))
        sink.send(CAMERA, [vision_event(1)], {})
        sink.close()
        assert sink.stats.sent == 1 and sink.stats.refused == 0
        client.login()
        assert len(client.get("/events", label="no_helmet")) == 1
        with pytest.raises(ValueError, match="refused: 401"):
            login_token(service.url, service.username, "not-the-password")
    with pytest.raises(ValueError, match="a gateway id and its secret, or a manager's token"):
        ServiceSink("http://127.0.0.1:9", "gw-only")


def test_a_camera_that_cannot_connect_raises_the_sites_camera_down_alert(tmp_path: Path) -> None:
    """A stream that refuses: the reader reconnects with back-off, the runner reports the camera
    down, the sink sends ``system.camera_down`` and the site's rule (for_s shortened to 1 s here)
    becomes a camera-health alert in the service."""

    site = yaml.safe_load((Path(__file__).resolve().parents[2] / "src/mineguard/mine/sites" / SAMPLE_SITE).read_text())
    for rule in site["rules"]["combined"]:
        if rule["id"] == "camera-down-face-gate-1101":
            rule["for_s"] = 1
    site_file = tmp_path / "site.yaml"
    site_file.write_text(yaml.safe_dump(site))

    class NoBoxes:
        names = ("helmet", "nohelmet")

        def predict(self, image: np.ndarray) -> None:  # never called: no frame arrives
            raise AssertionError("no frame should reach the detector")

    refused = f"rtsp://{HOST}:{free_port()}/stream1"  # nothing listens there
    plan = CameraPlan(CAMERA, "face_gate_1101", refused, CameraView())
    with local_service(tmp_path, site_file=site_file) as service, service.client() as client:
        client.login()
        sink = ServiceSink(service.url, "gw-faces", client.register_gateway("gw-faces"))
        runner = WatchRunner([build_watch(plan, NoBoxes())], sink)
        stop = threading.Event()
        thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        thread.start()
        deadline, alerts = time.monotonic() + 30, []
        while time.monotonic() < deadline and not alerts:
            time.sleep(0.5)
            alerts = [a for a in client.alerts() if a["rule_id"] == "camera-down-face-gate-1101"]
        stop.set()
        thread.join(10)
        sink.close()
        assert alerts, [a["rule_id"] for a in client.alerts()]
        assert alerts[0]["severity"] == "warning" and "gives no picture" in alerts[0]["message"]
        down = client.get("/events", label="camera_down")
        assert down and down[-1]["value"] == 1.0 and down[-1]["attributes"]["state"] == "reconnecting"
