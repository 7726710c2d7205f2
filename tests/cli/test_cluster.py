"""``mineguard cluster run`` as a user runs it: against a one-node Ray cluster on loopback, a real
service and broker; and the mistakes a user makes, each named with its fix."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from local_broker import local_broker
from local_ray import SLOTS, local_ray_cluster  # before ray is imported: it puts Ray on loopback
from local_service import local_service
from mineguard.cli import main
from mineguard.edge.box import DEMO_CLIP, shipped
from mineguard.mine.site import load_site
from mineguard.services.ingest.mqtt import MqttCommunicator
from polling import wait_for

CAMERA = "cam-face-1101"


def test_user_errors_name_the_fix(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "gw.secret"
    secret.write_text("s3cret")
    base = ["cluster", "run", "--url", "http://127.0.0.1:9", "--gateway", "gw-faces", "--secret-file", str(secret)]
    assert main([*base, "--no-cameras", "--partitions", "2"]) == 2
    assert "pass --mqtt HOST:PORT" in capsys.readouterr().err
    assert main([*base, "--camera", f"{CAMERA}=clip.mp4", "--model", str(tmp_path / "m.pt")]) == 2
    assert "no such detector file" in capsys.readouterr().err
    assert main([*base, "--camera", "cam-nowhere=clip.mp4"]) == 2
    assert "cam-nowhere: not a camera of site" in capsys.readouterr().err
    assert main([*base[:-1], str(tmp_path / "none.secret"), "--no-cameras"]) == 2
    assert "no such secret file" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ray", None)  # the extra is not installed
    assert main([*base, "--camera", f"{CAMERA}=clip.mp4"]) == 2
    assert "pip install 'mineguard[cluster]'" in capsys.readouterr().err


@pytest.mark.slow
def test_run_places_a_camera_and_an_ingest_partition_and_stops(tmp_path: Path, capsys) -> None:
    pytest.importorskip("ray", reason="the optional extra mineguard[cluster] is not installed")
    clip = shipped(DEMO_CLIP, "demo")
    site = load_site(None)
    with (
        local_ray_cluster(0, head_cpus=4, head_resources=SLOTS, connect=False) as cluster,
        local_broker() as broker,
        local_service(tmp_path) as service,
        service.client() as client,
    ):
        client.login()
        secret = tmp_path / "gw.secret"
        secret.write_text(client.register_gateway("gw-faces"))
        publisher = MqttCommunicator(broker.host, broker.port)
        publisher.start()
        done = threading.Event()

        def publish_again_and_again() -> None:  # a gateway re-sending: stored once, whenever the partition subscribes
            now = datetime.now(UTC).isoformat()
            while not done.wait(1.0):
                for seq in range(1, 21):
                    reading = {"device_id": "ch4-1101-t", "kind": "methane", "seq": seq, "t": now, "value": 0.4}
                    payload = json.dumps({**reading, "unit": "%"}).encode()
                    publisher.publish(f"mineguard/{site.id}/ch4-1101-t/methane", payload)
                # on another sensor's topic: dropped by the actor (the service's MQTT worker refuses it too)
                publisher.publish(f"mineguard/{site.id}/co-belt/co", payload)

        sender = threading.Thread(target=publish_again_and_again, daemon=True)
        sender.start()
        code = main(
            [
                *("cluster", "run", "--address", cluster.address, "--camera", f"{CAMERA}={clip}", "--loop"),
                *("--max-fps", "2", "--mqtt", f"{broker.host}:{broker.port}", "--partitions", "1"),
                *("--camera-resource", "mineguard_camera", "--ingest-resource", "mineguard_ingest"),
                *("--for-s", "8", "--check-every", "1"),
                *("--url", service.url, "--gateway", "gw-faces", "--secret-file", str(secret)),
            ]
        )
        done.set()
        sender.join()
        publisher.stop()
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        assert code == 0, lines
        assert set(lines[0]["placed"]) == {f"camera:{CAMERA}", "ingest:0"}
        summary = lines[-1]["summary"]
        assert summary[f"camera:{CAMERA}"]["frames"] > 0
        assert wait_for(lambda: [e for e in client.get("/events", limit=100) if e["device_id"] == CAMERA])
        stored = [r["seq"] for r in client.get("/readings", device_id="ch4-1101-t", limit=100)]
        assert sorted(stored) == list(range(1, 21))
        assert summary["ingest:0"]["stored"] == 20 and summary["ingest:0"]["duplicates"] > 0
        assert summary["ingest:0"]["rejected"] > 0 and client.reading_stats()["readings"] == 20
