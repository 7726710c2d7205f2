"""The live stream sends each role only the state changes it may see."""

from __future__ import annotations

from mineguard.services.auth.roles import Role
from mineguard.services.events import TwinEvent, Viewer

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
    import pytest
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as caught, api.client.websocket_connect("/api/v1/stream?token=nope") as ws:
        ws.receive_json()
    assert caught.value.code == 4401
