"""One ingest partition's forwarder (the body of a Ray actor, run here without Ray): MQTT messages of one
reading or a batch of a device's readings, posted whole to a real service over HTTP, at most the service's
1,000 readings a post; what cannot be read as readings goes alone and the service keeps it with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from local_broker import local_broker
from local_service import local_service
from mineguard.cluster import ingest_member
from mineguard.cluster.specs import IngestSpec, ServiceAccess
from mineguard.mine.site import SAMPLE_SITE, load_site
from mineguard.services.ingest.mqtt import MqttCommunicator
from polling import wait_for

SITE = Path(__file__).resolve().parents[2] / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE


def test_batch_messages_are_forwarded_whole_and_a_bad_one_is_kept_by_the_service(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ingest_member, "node_here", lambda: "this-node")
    site = load_site(SITE)
    device = next(d for d in site.devices if d.kind == "sensor" and d.sensor_kind == "methane")
    other = next(d for d in site.devices if d.kind == "sensor" and d.id != device.id)
    topic = f"mineguard/{site.id}/{device.id}/methane"
    now = datetime.now(UTC).isoformat()

    def reading(seq: int, sensor=device) -> dict:
        return {"device_id": sensor.id, "kind": sensor.sensor_kind, "seq": seq, "t": now, "value": 0.3, "unit": "%"}

    with local_broker() as broker, local_service(tmp_path) as service, service.client() as client:
        client.login()
        access = ServiceAccess(service.url, "gw-faces", client.register_gateway("gw-faces"))
        spec = IngestSpec(site.id, 0, 1, (device.id,), broker.host, broker.port, client_id="mineguard-member-test")
        member = ingest_member.IngestMember(spec, access)
        publisher = MqttCommunicator(broker.host, broker.port)
        publisher.start()
        try:
            publisher.publish(topic, json.dumps([reading(s) for s in range(600)]).encode())  # a backlog, in 2 posts
            publisher.publish(topic, json.dumps({"readings": [reading(s) for s in range(600, 1200)]}).encode())
            publisher.publish(topic, json.dumps([reading(1200), reading(7, other)]).encode())  # one not its topic's
            publisher.publish(topic, json.dumps(reading(1201)).encode())  # one reading, as before
            publisher.publish(topic, json.dumps([reading(s) for s in range(2000, 3001)]).encode())  # 1001: too many
            assert publisher.wait_published(10)
            assert wait_for(lambda: member.status().stored == 1202 and member.status().rejected == 2, 30), (
                member.status()
            )
        finally:
            publisher.stop()
            status = member.stop()
        assert (status.stored, status.duplicates, status.rejected, status.waiting) == (1202, 0, 2, 0)
        assert client.reading_stats()["readings"] == 1202
        (kept,) = client.get("/readings/rejects", limit=10)
        assert "batch has 1001 readings, at most 1000" in kept["detail"]
