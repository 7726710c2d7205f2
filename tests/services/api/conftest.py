"""An API client on each database backend, with one logged-in user per role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from mineguard.services.settings import Settings

ADMIN_PASSWORD = "super-secret-1"
MODEL_LIMIT = 400_000  # the fixture's max_model_bytes (a model file's body); every other body: 200 kB
ROLE_USERS = {
    "operator": {"username": "op1", "crew": "crew-a", "asset_id": "miner-001"},
    "supervisor": {"username": "sup-a", "crew": "crew-a", "asset_id": "miner-003"},
    "manager": {"username": "mgr", "crew": None, "asset_id": None},
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def call(self, role: str | None, method: str, path: str, **kwargs):
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


def login(client: TestClient, username: str, password: str) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    from mineguard.services.api.main import create_app

    app = create_app(
        Settings(
            database_url=database_url,
            admin_password=ADMIN_PASSWORD,
            max_body_bytes=200_000,
            max_model_bytes=MODEL_LIMIT,
        )
    )
    with TestClient(app) as client:
        result = Api(client)
        result.tokens["super_manager"] = login(client, "admin", ADMIN_PASSWORD)
        for role, user in ROLE_USERS.items():
            body = {**user, "role": role, "password": f"{role}-password"}
            response = result.call("super_manager", "POST", "/api/v1/users", json=body)
            assert response.status_code == 201, response.text
            result.tokens[role] = login(client, user["username"], f"{role}-password")
        yield result
    app.state.ctx.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from local_postgres import create_database, drop_database
    from mineguard.services.api.main import create_app

    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'db.sqlite'}", None
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"m_{uuid.uuid4().hex[:12]}"
        url, cleanup = create_database(server, name), (server, name)
    app = create_app(Settings(database_url=url, admin_password=ADMIN_PASSWORD))
    with TestClient(app) as client:
        result = Api(client)
        result.tokens["super_manager"] = login(client, "admin", ADMIN_PASSWORD)
        for role, user in ROLE_USERS.items():
            result.call("super_manager", "POST", "/api/v1/users", json={**user, "role": role, "password": "password-1"})
            result.tokens[role] = login(client, user["username"], "password-1")
        result.call("manager", "POST", "/api/v1/gateways/gw-faces/register")
        raise_test_alert(app)
        yield result
    app.state.ctx.engine.dispose()
    if cleanup:
        drop_database(*cleanup)


def raise_test_alert(app, key: str = "methane-face:face_1101"):
    """An open critical alert, as the rules engine raises one (alert ids start at 1)."""
    from mineguard.services.alerts import book
    from mineguard.services.storage.types import utc_now

    with app.state.ctx.sessions() as session, session.begin():
        change = book.raise_or_update(
            session,
            key=key,
            rule_id="methane-face",
            severity="critical",
            title="Methane at Face 1101",
            t=utc_now(),
            zone_id="face_1101",
            message="Methane 1.2 % in Face 1101, rising 0.1 %/min; fan F2 stopped — evacuate Face 1101",
        )
        return change.alert.id
