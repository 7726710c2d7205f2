"""The ``incident_index`` setting: a methane alert raised from readings posted over HTTP carries its most
similar past incident; a bad index folder stops the app at startup with a clear message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mineguard.services.api.main import create_app
from mineguard.services.settings import Settings
from mineguard.warning.text_embedders import get_text_embedder
from mineguard.warning.text_index import IncidentIndex
from service_inputs import hand_made_incidents, methane_rise

from .conftest import ADMIN_PASSWORD, login

NARRATIVES = {
    "Ignition or Explosion of Gas or Dust": "methane accumulated at the longwall face and ignited",
    "Fall of Roof or Back": "a slab of roof rock fell between the bolted rows",
    "Machinery": "the conveyor belt caught the miner at the tail pulley",
}


def _index(folder: Path) -> Path:
    incidents = hand_made_incidents(NARRATIVES, dt.date(2012, 3, 1))
    return IncidentIndex.build(incidents, get_text_embedder("tfidf")).save(folder)


def test_a_methane_alert_from_readings_carries_the_methane_ignition(tmp_path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        admin_password=ADMIN_PASSWORD,
        incident_index=_index(tmp_path / "incidents"),
    )
    app = create_app(settings)
    readings = methane_rise()
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {login(client, 'admin', ADMIN_PASSWORD)}"}
        with client.websocket_connect(f"/api/v1/stream?token={headers['Authorization'][7:]}") as ws:
            ws.receive_json()
            assert client.post("/api/v1/readings", json={"readings": readings}, headers=headers).status_code == 200
            event = ws.receive_json()
            while event["type"] != "alert.raised":  # the readings come first; the alert after its evidence is stored
                event = ws.receive_json()
        alert = client.get(f"/api/v1/alerts/{event['data']['id']}", headers=headers).json()
    app.state.ctx.engine.dispose()
    similar = alert["evidence"]["similar_incidents"]
    assert similar[0]["accident_class"] == "Ignition or Explosion of Gas or Dust" and similar[0]["key"] == "r0"
    assert "value" in alert["evidence"]  # the rule's own evidence is kept
    assert event["data"]["similar_incidents"][0]["key"] == "r0"  # and the live stream carries them too


def test_a_bad_index_folder_fails_at_startup(tmp_path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", incident_index=tmp_path / "none")
    with pytest.raises(ValueError, match=r"MINEGUARD_INCIDENT_INDEX=.*index.json: not found.*mineguard warn index"):
        create_app(settings)
