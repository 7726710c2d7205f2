"""The service tells people: a methane build-up posted to the API reaches a webhook channel and
the delivery is written to the alert's history; a bad notifiers file is a clear error."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mineguard.services.alerts.delivery import NotifierFileError, load_dispatcher
from mineguard.services.api.main import create_app
from mineguard.services.settings import Settings
from service_inputs import methane_rise


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []  # noqa: RUF012 - test collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_alert_reaches_a_webhook_and_is_recorded(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    notifiers = tmp_path / "notifiers.yaml"
    notifiers.write_text(f"- type: webhook\n  name: control-room\n  url: http://127.0.0.1:{server.server_port}/hook\n")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", admin_password="admin-password", notifiers_file=notifiers
    )
    app = create_app(settings)
    readings = methane_rise()
    try:
        with TestClient(app) as client:
            token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "admin-password"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            assert client.post("/api/v1/readings", json={"readings": readings}, headers=headers).status_code == 200
            deadline = time.monotonic() + 10
            while not _Hook.received and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _Hook.received and "withdraw people from Longwall face 1101" in _Hook.received[0]["message"]
            alert_id = _Hook.received[0]["alert_id"]
            raised = client.get("/api/v1/audit", params={"action": "alert.raised"}, headers=headers).json()
            entry = next(e for e in raised if e["subject"] == f"alert:{alert_id}")
            assert _Hook.received[0]["audit"] == {"seq": entry["seq"], "hash": entry["hash"]}  # a copy off the box
            deadline = time.monotonic() + 10
            kinds: list[str] = []
            while "notified" not in kinds and time.monotonic() < deadline:
                history = client.get(f"/api/v1/alerts/{alert_id}/history", headers=headers).json()
                kinds = [h["kind"] for h in history]
                time.sleep(0.05)
            assert "notified" in kinds
    finally:
        server.shutdown()
        app.state.ctx.engine.dispose()


def test_bad_notifiers_file(tmp_path: Path) -> None:
    path = tmp_path / "n.yaml"
    path.write_text("- type: pager\n  url: http://127.0.0.1:1/\n")
    with pytest.raises(NotifierFileError, match=r"n\.yaml"):
        load_dispatcher(path, sessions=None)  # type: ignore[arg-type]
    with pytest.raises(NotifierFileError, match="no such notifiers file"):
        load_dispatcher(tmp_path / "missing.yaml", sessions=None)  # type: ignore[arg-type]
