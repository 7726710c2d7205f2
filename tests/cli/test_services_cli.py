"""The platform commands as a user runs them: site validate, users add, audit verify, serve."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from mineguard.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "src/mineguard/mine/sites/sample_coal_mine.yaml"


def test_site_validate_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["site", "validate", str(SAMPLE)]) == 0
    assert "10 zones (3 danger)" in capsys.readouterr().out


def test_site_validate_names_key_and_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "id: x\nname: y\nzones:\n  - {id: a, name: A, kind: tunnel, path: [[0, 0, 0]], "
        "cross_section_m2: 4, colour: red}\n"
    )
    assert main(["site", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "zones[0].kind" in err and "'roadway'" in err
    assert "zones[0].colour" in err and "remove it or check the spelling" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nzones: [\n")
    assert main(["site", "validate", str(broken)]) == 2
    assert "line" in capsys.readouterr().err


def test_users_add_then_audit_verify_catches_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'mg.db'}"
    monkeypatch.setenv("MINEGUARD_NEW_PASSWORD", "a-long-password")
    monkeypatch.setenv("MINEGUARD_ADMIN_PASSWORD", "admin-password")
    assert main(["users", "add", "sup-b", "--role", "supervisor", "--crew", "crew-b", "--database-url", url]) == 0
    assert "created supervisor sup-b" in capsys.readouterr().out
    assert main(["users", "add", "sup-b", "--role", "operator", "--database-url", url]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["audit", "verify", "--database-url", url]) == 0
    assert "intact: 3 entries" in capsys.readouterr().out  # site loaded, admin created, sup-b created
    with sqlite3.connect(tmp_path / "mg.db") as db:  # someone edits the log behind the service's back
        db.execute("UPDATE audit_log SET payload = ? WHERE seq = 3", (json.dumps({"role": "super_manager"}),))
    assert main(["audit", "verify", "--database-url", url]) == 1
    assert "TAMPERED at seq 3" in capsys.readouterr().out


def test_audit_verify_without_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--database-url", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "no MineGuard database" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_http_and_streams_over_websocket(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "MINEGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "MINEGUARD_ADMIN_PASSWORD": "admin-password",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "mineguard", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"server did not start: {server.stderr.read() if server.poll() is not None else ''}")
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": "admin-password"})
        token = token.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "MineGuard API"

        async def watch() -> list[dict]:
            async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/stream?token={token}") as ws:
                hello = json.loads(await ws.recv())
                body = {"t": "2026-11-22T06:00:00Z", "x_m": 400, "y_m": 0, "z_m": -400}
                async with httpx.AsyncClient() as client:
                    posted = await client.post(f"{base}/api/v1/assets/miner-002/position", json=body, headers=headers)
                    assert posted.status_code == 201, posted.text
                event = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                return [hello, event]

        hello, event = asyncio.run(watch())
        assert hello["type"] == "stream.hello" and hello["data"]["role"] == "super_manager"
        assert event["type"] == "asset.position" and event["data"]["zone_id"] == "main_roadway"
    finally:
        server.terminate()
        server.wait(timeout=20)
