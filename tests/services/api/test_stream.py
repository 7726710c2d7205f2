"""The live stream sends each role only the state changes it may see."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from starlette.websockets import WebSocketDisconnect

from mineguard.mine.roles import Role
from mineguard.services.events import TwinEvent, Viewer
from mineguard.services.ingest.bus import topic_for
from mineguard.services.storage.types import utc_now

BODY = {"t": "2026-11-22T06:00:00Z", "x_m": 400, "y_m": 0, "z_m": -400}


def test_viewer_scopes() -> None:
    crew_a = TwinEvent("asset.position", {}, asset_id="miner-002", crew="crew-a")
    operator = Viewer(Role.OPERATOR, "crew-a", "miner-001")
    assert not operator.sees(crew_a)
    assert operator.sees(TwinEvent("asset.position", {}, asset_id="miner-001", crew="crew-a"))
    assert Viewer(Role.SUPERVISOR, "crew-a", "miner-003").sees(crew_a)
    assert not Viewer(Role.SUPERVISOR, "crew-b", None).sees(crew_a)
    assert Viewer(Role.MANAGER).sees(crew_a)


def test_stream_delivers_scoped_events(api) -> None:
    with (
        api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['operator']}") as op_ws,
        api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['supervisor']}") as sup_ws,
    ):
        assert op_ws.receive_json()["data"]["role"] == "operator"
        assert sup_ws.receive_json()["data"]["role"] == "supervisor"
        # miner-002 (crew-a, not the operator) moves, then the operator himself (miner-001)
        assert api.call("manager", "POST", "/api/v1/assets/miner-002/position", json=BODY).status_code == 201
        assert api.call("manager", "POST", "/api/v1/assets/miner-001/position", json=BODY).status_code == 201
        assert [sup_ws.receive_json()["data"]["asset_id"] for _ in range(2)] == ["miner-002", "miner-001"]
        first = op_ws.receive_json()
        assert first["type"] == "asset.position" and first["data"]["asset_id"] == "miner-001"


def test_stream_refuses_a_bad_token(api) -> None:
    with pytest.raises(WebSocketDisconnect) as caught, api.client.websocket_connect("/api/v1/stream?token=nope") as ws:
        ws.receive_json()
    assert caught.value.code == 4401


def receive_within(ws, seconds: float) -> dict:
    """The next message the server sends, or TimeoutError after ``seconds`` (TestClient waits forever)."""
    import anyio

    async def next_message() -> dict:
        with anyio.fail_after(seconds):
            return await ws._send_rx.receive()

    return ws.portal.call(next_message)


def closed_with(ws, seconds: float) -> tuple[int, str]:
    """Read until the server closes the socket; its close code and reason."""
    while (message := receive_within(ws, seconds))["type"] != "websocket.close":
        pass
    return message["code"], message.get("reason", "")


def test_logout_closes_the_open_stream_at_once(api) -> None:
    from .conftest import ROLE_USERS, login

    second = login(api.client, ROLE_USERS["operator"]["username"], "operator-password")  # another session
    with (
        api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['operator']}") as ws,
        api.client.websocket_connect(f"/api/v1/stream?token={second}") as kept,
    ):
        assert receive_within(ws, 5)["type"] == "websocket.send"
        assert receive_within(kept, 5)["type"] == "websocket.send"
        assert api.call("operator", "POST", "/api/v1/auth/logout").status_code == 204
        code, reason = closed_with(ws, 1.0)  # well before the backstop recheck (5 s)
        assert code == 4401 and "revoked" in reason and "log in again" in reason
        # the other token of the same user still streams
        assert api.call("manager", "POST", "/api/v1/assets/miner-001/position", json=BODY).status_code == 201
        assert receive_within(kept, 5)["type"] == "websocket.send"
    assert api.call("manager", "GET", "/api/v1/auth/me").status_code == 200


def test_role_change_closes_the_stream_for_a_fresh_scope(api) -> None:
    user_id = next(u["id"] for u in api.call("super_manager", "GET", "/api/v1/users").json() if u["username"] == "op1")
    with api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['operator']}") as ws:
        assert receive_within(ws, 5)["type"] == "websocket.send"
        changed = api.call("super_manager", "PUT", f"/api/v1/users/{user_id}/role", json={"role": "supervisor"})
        assert changed.status_code == 200, changed.text
        code, reason = closed_with(ws, 1.0)
        assert code == 4409 and "reconnect" in reason
    with api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['operator']}") as ws:
        assert ws.receive_json()["data"]["role"] == "supervisor"  # same token, new scope


def test_revocation_by_another_process_closes_within_the_recheck(api) -> None:
    """A token deleted behind the service's back (the CLI, another node) is caught by the periodic recheck."""
    from mineguard.services.auth.users import revoke_token

    ctx = api.client.app.state.ctx
    ctx.streams.recheck_s = 0.2
    with api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['supervisor']}") as ws:
        assert receive_within(ws, 5)["type"] == "websocket.send"
        with ctx.sessions() as session, session.begin():
            revoke_token(session, api.tokens["supervisor"])
        code, reason = closed_with(ws, 3.0)
        assert code == 4401 and "revoked" in reason


def test_stream_closes_when_its_token_expires(database_url: str) -> None:
    from fastapi.testclient import TestClient

    from mineguard.services.api.main import create_app
    from mineguard.services.settings import Settings

    from .conftest import ADMIN_PASSWORD, login

    app = create_app(Settings(database_url=database_url, admin_password=ADMIN_PASSWORD, token_ttl_s=2))
    try:
        with TestClient(app) as client:
            token = login(client, "admin", ADMIN_PASSWORD)
            started = time.monotonic()
            with client.websocket_connect(f"/api/v1/stream?token={token}") as ws:
                assert receive_within(ws, 5)["type"] == "websocket.send"
                code, reason = closed_with(ws, 4.0)  # at expires_at, before the 5 s recheck could
            assert code == 4401 and "expired" in reason
            assert 1.0 < time.monotonic() - started < 4.0
            with (
                pytest.raises(WebSocketDisconnect) as caught,
                client.websocket_connect(f"/api/v1/stream?token={token}"),
            ):
                pass
            assert caught.value.code == 4401
    finally:
        app.state.ctx.engine.dispose()


def test_a_valid_token_keeps_streaming_past_rechecks(api) -> None:
    ctx = api.client.app.state.ctx
    ctx.streams.recheck_s = 0.1
    with api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['manager']}") as ws:
        assert receive_within(ws, 5)["type"] == "websocket.send"
        deadline = time.monotonic() + 0.6  # several rechecks
        while time.monotonic() < deadline:
            assert ctx.streams.recheck() == 0
            time.sleep(0.1)
        assert api.call("manager", "POST", "/api/v1/assets/miner-002/position", json=BODY).status_code == 201
        message = receive_within(ws, 5)
        assert message["type"] == "websocket.send" and "miner-002" in message["text"]


def test_a_reading_from_the_bus_reaches_the_stream_as_device_reading(api) -> None:
    """Readings the ingest worker stores (the bus here; MQTT takes the same path) are published live like
    the HTTP route's, to the roles that may read devices only."""
    ctx = api.client.app.state.ctx
    t = utc_now().replace(microsecond=0) - timedelta(seconds=2)
    payload = {"device_id": "co-belt", "kind": "co", "seq": 7, "t": t.isoformat(), "value": 12.5, "unit": "ppm"}
    with (
        api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['operator']}") as op_ws,
        api.client.websocket_connect(f"/api/v1/stream?token={api.tokens['supervisor']}") as sup_ws,
    ):
        assert op_ws.receive_json()["type"] == sup_ws.receive_json()["type"] == "stream.hello"
        ctx.bus.publish(topic_for(ctx.site_id, "co-belt", "co"), json.dumps(payload).encode())
        event = json.loads(receive_within(sup_ws, 5)["text"])  # TimeoutError, not a hang, if it never comes
        assert event["type"] == "device.reading"
        assert event["data"] == {
            "device_id": "co-belt",
            "value": 12.5,
            "unit": "ppm",
            "t": t.isoformat(),
            "seq": 7,
            "flags": [],
        }
        # the operator may not read devices (view_crew): his next message is the position below, not the reading
        assert api.call("manager", "POST", "/api/v1/assets/miner-001/position", json=BODY).status_code == 201
        assert json.loads(receive_within(op_ws, 5)["text"])["type"] == "asset.position"
