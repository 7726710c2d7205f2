"""Every route x every role: allowed roles get past the door (not 401/403), others get 403,
anonymous callers 401. A route missing from the table fails the test, so new routes must say
who may call them (seed 004 §3.1.4: roles are enforced by the API, not hidden in a UI).

Every route that is not public also refuses, with 401, a call without a token, with a garbage
token, with an expired token and with a revoked one (logged out) — each made by the service's own
code (``auth.users.issue_token``, ``POST /api/v1/auth/logout``), never by faking the check.
"""

from __future__ import annotations

import time

import pytest

from mineguard.services.auth.users import issue_token
from mineguard.services.storage.types import utc_now

from .conftest import ADMIN_PASSWORD, ROLE_USERS, Api, login

ALL = {"operator", "supervisor", "manager", "super_manager"}
SUPERVISOR_UP = {"supervisor", "manager", "super_manager"}
MANAGER_UP = {"manager", "super_manager"}
SUPER = {"super_manager"}
PUBLIC, GATEWAY = "public", "gateway"
T = "2026-11-22T06:00:00Z"

# (method, path template, concrete path, json body, who may call)
MATRIX = [
    ("POST", "/api/v1/auth/token", "/api/v1/auth/token", {"username": "admin", "password": "x"}, PUBLIC),
    ("GET", "/api/v1/health", "/api/v1/health", None, PUBLIC),
    ("GET", "/healthz", "/healthz", None, PUBLIC),
    ("GET", "/readyz", "/readyz", None, PUBLIC),
    ("GET", "/metrics", "/metrics", None, PUBLIC),
    ("POST", "/api/v1/auth/logout", "/api/v1/auth/logout", None, ALL),
    ("GET", "/api/v1/auth/me", "/api/v1/auth/me", None, ALL),
    ("GET", "/api/v1/users", "/api/v1/users", None, SUPER),
    (
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        {"username": "new-user", "password": "long-enough", "role": "operator"},
        SUPER,
    ),
    ("PUT", "/api/v1/users/{user_id}/role", "/api/v1/users/2/role", {"role": "operator"}, SUPER),
    ("GET", "/api/v1/zones", "/api/v1/zones", None, ALL),
    ("GET", "/api/v1/zones/sync", "/api/v1/zones/sync", None, MANAGER_UP),
    ("GET", "/api/v1/zones/{zone_id}", "/api/v1/zones/face_1101", None, ALL),
    ("PATCH", "/api/v1/zones/{zone_id}/limits", "/api/v1/zones/face_1101/limits", {"staff_limit": 10}, SUPER),
    ("GET", "/api/v1/zones/{zone_id}/occupants", f"/api/v1/zones/face_1101/occupants?start={T}", None, SUPERVISOR_UP),
    ("GET", "/api/v1/rescue-list", "/api/v1/rescue-list", None, SUPERVISOR_UP),
    ("GET", "/api/v1/rescue-list.csv", "/api/v1/rescue-list.csv?zone=refuge_1", None, SUPERVISOR_UP),
    ("GET", "/api/v1/rescue-list.pdf", "/api/v1/rescue-list.pdf?zone=refuge_1", None, SUPERVISOR_UP),
    ("GET", "/api/v1/assets", "/api/v1/assets", None, ALL),
    ("GET", "/api/v1/assets/me", "/api/v1/assets/me", None, ALL),
    ("GET", "/api/v1/assets/{asset_id}", "/api/v1/assets/miner-001", None, ALL),
    ("GET", "/api/v1/assets/{asset_id}/position", "/api/v1/assets/miner-001/position", None, ALL),
    ("GET", "/api/v1/assets/{asset_id}/history", "/api/v1/assets/miner-001/history", None, ALL),
    ("GET", "/api/v1/assets/{asset_id}/state", "/api/v1/assets/miner-001/state", None, ALL),
    ("GET", "/api/v1/assets/{asset_id}/state/history", "/api/v1/assets/miner-001/state/history", None, ALL),
    (
        "POST",
        "/api/v1/assets/{asset_id}/position",
        "/api/v1/assets/miner-001/position",
        {"t": T, "x_m": 100, "y_m": 0, "z_m": -400},
        MANAGER_UP,
    ),
    ("GET", "/api/v1/devices", "/api/v1/devices", None, SUPERVISOR_UP),
    ("GET", "/api/v1/devices/{device_id}", "/api/v1/devices/ch4-1101-t", None, SUPERVISOR_UP),
    ("GET", "/api/v1/gateways", "/api/v1/gateways", None, MANAGER_UP),
    ("POST", "/api/v1/gateways/{gateway_id}/register", "/api/v1/gateways/gw-roadways/register", None, MANAGER_UP),
    (
        "PUT",
        "/api/v1/gateways/{gateway_id}/config",
        "/api/v1/gateways/gw-faces/config",
        {"scan_window_s": 3},
        MANAGER_UP,
    ),
    (
        "POST",
        "/api/v1/gateways/{gateway_id}/commands",
        "/api/v1/gateways/gw-faces/commands",
        {"command": "rescan"},
        MANAGER_UP,
    ),
    ("GET", "/api/v1/gateways/{gateway_id}/commands", "/api/v1/gateways/gw-faces/commands", None, MANAGER_UP),
    ("GET", "/api/v1/gateways/{gateway_id}/config/current", "/api/v1/gateways/gw-faces/config/current", None, GATEWAY),
    ("POST", "/api/v1/gateways/{gateway_id}/commands/poll", "/api/v1/gateways/gw-faces/commands/poll", None, GATEWAY),
    (
        "POST",
        "/api/v1/gateways/{gateway_id}/commands/{command_id}/ack",
        "/api/v1/gateways/gw-faces/commands/1/ack",
        {"ok": True},
        GATEWAY,
    ),
    (
        "POST",
        "/api/v1/gateways/{gateway_id}/readings",
        "/api/v1/gateways/gw-faces/readings",
        {"readings": [{"barcode": "6901234500011", "t": T, "x_m": 100, "y_m": 0, "z_m": -400}]},
        GATEWAY,
    ),
    (
        "POST",
        "/api/v1/readings",
        "/api/v1/readings",
        {"readings": [{"device_id": "ch4-1101-t", "kind": "methane", "seq": 1, "t": T, "value": 0.5, "unit": "%"}]},
        MANAGER_UP,
    ),
    ("GET", "/api/v1/readings", f"/api/v1/readings?device_id=ch4-1101-t&start={T}", None, SUPERVISOR_UP),
    ("GET", "/api/v1/readings/rejects", "/api/v1/readings/rejects", None, MANAGER_UP),
    ("GET", "/api/v1/sensors", "/api/v1/sensors", None, SUPERVISOR_UP),
    ("GET", "/api/v1/sensors/{device_id}/forecast", "/api/v1/sensors/ch4-1101-t/forecast", None, SUPERVISOR_UP),
    ("GET", "/api/v1/forecasts", "/api/v1/forecasts", None, SUPERVISOR_UP),
    ("GET", "/api/v1/warnings/lead-times", "/api/v1/warnings/lead-times", None, SUPERVISOR_UP),
    ("GET", "/api/v1/readings/stats", "/api/v1/readings/stats", None, MANAGER_UP),
    (
        "POST",
        "/api/v1/events",
        "/api/v1/events",
        {"events": [{"source": "vision", "label": "no_helmet", "t": T, "device_id": "cam-face-gate-1101"}]},
        MANAGER_UP,
    ),
    ("GET", "/api/v1/events", "/api/v1/events", None, SUPERVISOR_UP),
    ("POST", "/api/v1/evidence", "/api/v1/evidence", None, MANAGER_UP),  # and gateways (camera boxes)
    ("GET", "/api/v1/evidence/{sha256}", "/api/v1/evidence/" + "0" * 64, None, ALL),
    ("GET", "/api/v1/faces", "/api/v1/faces", None, MANAGER_UP),
    (
        "POST",
        "/api/v1/faces/{person_id}/embeddings",
        "/api/v1/faces/miner-002/embeddings",
        {"embeddings": [[0.6, 0.8, 0.0]]},
        MANAGER_UP,
    ),
    ("GET", "/api/v1/faces/gallery", "/api/v1/faces/gallery", None, MANAGER_UP),
    ("DELETE", "/api/v1/faces/{person_id}", "/api/v1/faces/miner-002", None, SUPER),
    ("GET", "/api/v1/tags", "/api/v1/tags", None, MANAGER_UP),
    (
        "POST",
        "/api/v1/tags/pair",
        "/api/v1/tags/pair",
        {"barcode": "6901234500028", "asset_id": "miner-002"},
        MANAGER_UP,
    ),
    ("DELETE", "/api/v1/tags/{barcode}/pair", "/api/v1/tags/6901234500035/pair", None, MANAGER_UP),
    ("GET", "/api/v1/sensitivity", "/api/v1/sensitivity", None, ALL),
    (
        "PUT",
        "/api/v1/sensitivity",
        "/api/v1/sensitivity",
        {"changes": [{"key": "noise_g", "value": 0.06, "unit": "g"}]},
        SUPER,
    ),
    ("GET", "/api/v1/rules", "/api/v1/rules", None, SUPER),
    ("GET", "/api/v1/rules/versions", "/api/v1/rules/versions", None, SUPER),
    ("PUT", "/api/v1/rules", "/api/v1/rules", {"rules": {}, "expected_version": 999}, SUPER),  # 409: changes nothing
    ("GET", "/api/v1/models", "/api/v1/models", None, MANAGER_UP),
    ("GET", "/api/v1/models/serving", "/api/v1/models/serving", None, MANAGER_UP),
    ("GET", "/api/v1/models/{kind}/versions/{version}", "/api/v1/models/risk/versions/1", None, MANAGER_UP),
    (  # not base64: 422, changes nothing
        "POST",
        "/api/v1/models/{kind}/versions",
        "/api/v1/models/risk/versions",
        {"filename": "risk.pt", "content_base64": "!"},
        SUPER,
    ),
    ("POST", "/api/v1/models/{kind}/promote", "/api/v1/models/risk/promote", {"version": 999}, SUPER),  # 404
    ("POST", "/api/v1/models/{kind}/rollback", "/api/v1/models/risk/rollback", {}, SUPER),  # 409: none active
    ("POST", "/api/v1/help", "/api/v1/help", {"message": "test call", "zone_id": "face_1101"}, SUPERVISOR_UP),
    ("GET", "/api/v1/help", "/api/v1/help", None, SUPERVISOR_UP),
    ("GET", "/api/v1/audit", "/api/v1/audit", None, MANAGER_UP),
    ("GET", "/api/v1/audit/verify", "/api/v1/audit/verify", None, MANAGER_UP),
    ("GET", "/api/v1/alerts", "/api/v1/alerts?state=active", None, ALL),
    ("GET", "/api/v1/alerts/{alert_id}", "/api/v1/alerts/1", None, ALL),
    ("GET", "/api/v1/alerts/{alert_id}/history", "/api/v1/alerts/1/history", None, ALL),
    ("POST", "/api/v1/alerts/{alert_id}/ack", "/api/v1/alerts/1/ack", {"note": "seen"}, ALL),
    (
        "POST",
        "/api/v1/alerts/{alert_id}/resolve",
        "/api/v1/alerts/1/resolve",
        {"resolution": "fan restarted"},
        SUPERVISOR_UP,
    ),
]
ROLES = ["operator", "supervisor", "manager", "super_manager"]


def test_every_route_is_in_the_matrix(shared_api: Api) -> None:
    paths = shared_api.client.app.openapi()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    table = {(method, template) for method, template, *_ in MATRIX}
    assert not routes - table, f"routes missing from MATRIX (say who may call them): {sorted(routes - table)}"
    assert not table - routes, f"MATRIX rows for routes the API does not have: {sorted(table - routes)}"
    assert len(table) == len(MATRIX), "a route is in MATRIX twice"


def test_the_matrix_agrees_with_the_declared_security(shared_api: Api) -> None:
    """Who may call a route (here) and how it authenticates (the OpenAPI ``security``, derived from
    the routes' dependencies) tell one story: public routes declare none, gateway routes the
    gateway's secret alone, every other route a user's token (some also a gateway's id and secret)."""
    paths = shared_api.client.app.openapi()["paths"]
    for method, template, _, _, allowed in MATRIX:
        security = [set(requirement) for requirement in paths[template][method.lower()].get("security", [])]
        if allowed == PUBLIC:
            assert security == [], template
        elif allowed == GATEWAY:
            assert security == [{"gatewaySecret"}], template
        else:
            assert {"userToken"} in security and set() not in security, template


@pytest.fixture(scope="module")
def unusable_tokens(shared_api: Api) -> dict[str, str | None]:
    """Tokens of a super-manager (who may call every user route) that must all be refused."""
    ctx, tokens = shared_api.client.app.state.ctx, {}
    for name in ("expired", "revoked"):  # own accounts: a later login of the same user would prune the token
        body = {"username": f"sm-{name}", "password": "password-1", "role": "super_manager"}
        assert shared_api.call("super_manager", "POST", "/api/v1/users", json=body).status_code == 201
    with ctx.sessions() as session, session.begin():  # the login path's own minting, with a 1 s lifetime
        expired = issue_token(session, "sm-expired", "password-1", ttl_s=1)
    tokens["expired"] = expired.token
    tokens["revoked"] = login(shared_api.client, "sm-revoked", "password-1")
    logout = shared_api.client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['revoked']}"})
    assert logout.status_code == 204, logout.text
    time.sleep(max(0.0, (expired.expires_at - utc_now()).total_seconds()) + 0.05)
    return {"none": None, "garbage": "not-a-token-" + "x" * 30, **tokens}


UNUSABLE = {"none": "not logged in", "garbage": "unknown or revoked", "expired": "expired", "revoked": "revoked"}
NOT_PUBLIC = [row for row in MATRIX if row[4] != PUBLIC]


@pytest.mark.parametrize("kind", list(UNUSABLE))
@pytest.mark.parametrize(
    ("method", "template", "path", "body", "allowed"), NOT_PUBLIC, ids=[f"{m} {t}" for m, t, *_ in NOT_PUBLIC]
)
def test_unusable_tokens_are_401(
    shared_api: Api, unusable_tokens: dict, kind: str, method: str, template: str, path: str, body, allowed
) -> None:
    token = unusable_tokens[kind]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if allowed == GATEWAY:  # a user token never opens a gateway route; a wrong gateway secret neither
        headers["X-Gateway-Secret"] = "not-the-secret"
    response = shared_api.client.request(method, path, json=body, headers=headers)
    assert response.status_code == 401, f"{kind}: {response.status_code} {response.text}"
    if allowed != GATEWAY:
        assert UNUSABLE[kind] in response.json()["error"]["message"], response.text


@pytest.mark.parametrize(
    ("method", "template", "path", "body", "allowed"), MATRIX, ids=[f"{m} {t}" for m, t, *_ in MATRIX]
)
def test_route_x_role(shared_api: Api, method: str, template: str, path: str, body: dict | None, allowed) -> None:
    client = shared_api.client
    if allowed == PUBLIC:
        assert client.request(method, path, json=body).status_code not in (403,)
        return
    if allowed == GATEWAY:
        secret = shared_api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
        for role in [None, *ROLES]:  # no user token opens a gateway route
            assert shared_api.call(role, method, path, json=body).status_code == 401, role
        response = client.request(method, path, json=body, headers={"X-Gateway-Secret": secret})
        assert response.status_code not in (401, 403), response.text
        return
    assert client.request(method, path, json=body).status_code == 401
    for role in ROLES:
        token = (
            login(
                client,
                ROLE_USERS[role]["username"] if role != "super_manager" else "admin",
                "password-1" if role != "super_manager" else ADMIN_PASSWORD,
            )
            if template.endswith("logout")
            else shared_api.tokens[role]
        )
        response = client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        if role in allowed:
            assert response.status_code not in (401, 403), f"{role}: {response.text}"
        else:
            assert response.status_code == 403, f"{role}: {response.text}"
            assert role in response.json()["error"]["message"]
