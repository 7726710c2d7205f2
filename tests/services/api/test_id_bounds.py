"""Integer ids and numbers in paths and queries are bounded before they reach the database: an id
beyond 64 bits, zero or negative is a 422 naming the parameter, a well-formed unknown id a 404 —
never the 500 that SQLite (integer overflow) or PostgreSQL (out of range for bigint) would give."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from mineguard.services.api.deps import INT32_MAX, INT64_MAX
from mineguard.services.api.main import ROUTERS

from .conftest import Api

# (method, path with {id}, body, who calls)
ID_ROUTES = [
    ("GET", "/api/v1/alerts/{id}", None, "manager"),
    ("GET", "/api/v1/alerts/{id}/history", None, "manager"),
    ("POST", "/api/v1/alerts/{id}/ack", {"note": "seen"}, "manager"),
    ("POST", "/api/v1/alerts/{id}/resolve", {"resolution": "fan restarted"}, "manager"),
    ("PUT", "/api/v1/users/{id}/role", {"role": "operator"}, "super_manager"),
    ("POST", "/api/v1/gateways/gw-faces/commands/{id}/ack", {"ok": True}, "gateway"),
]
BAD_IDS = ["99999999999999999999", str(INT64_MAX + 1), "0", "-1", "1e3", "abc"]
LARGEST = {"alerts": INT64_MAX, "users": INT32_MAX, "commands": INT64_MAX}  # BIGINT ids, and users.id an INTEGER


def _call(api: Api, method: str, path: str, body: dict | None, caller: str):
    if caller == "gateway":
        secret = api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
        return api.client.request(method, path, json=body, headers={"X-Gateway-Secret": secret})
    return api.call(caller, method, path, json=body)


@pytest.mark.parametrize(
    ("method", "template", "body", "caller"), ID_ROUTES, ids=[f"{m} {t}" for m, t, *_ in ID_ROUTES]
)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_out_of_range_id_is_422_naming_it(shared_api: Api, method: str, template: str, body, caller: str, bad: str):
    response = _call(shared_api, method, template.format(id=bad), body, caller)
    assert response.status_code == 422, response.text
    assert {"alerts": "alert_id", "users": "user_id", "commands": "command_id"}[_table(template)] in response.text


@pytest.mark.parametrize(
    ("method", "template", "body", "caller"), ID_ROUTES, ids=[f"{m} {t}" for m, t, *_ in ID_ROUTES]
)
def test_largest_id_is_a_plain_404(shared_api: Api, method: str, template: str, body, caller: str) -> None:
    largest = LARGEST[_table(template)]
    too_big = _call(shared_api, method, template.format(id=largest + 1), body, caller)
    assert too_big.status_code == 422, too_big.text
    response = _call(shared_api, method, template.format(id=largest), body, caller)
    assert response.status_code in (404, 409), response.text  # a gateway ack of an unknown command is a 409
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/alerts?limit=99999999999999999999",
        "/api/v1/audit?limit=99999999999999999999",
        "/api/v1/events?limit=-1",
        "/api/v1/readings/rejects?limit=99999999999999999999",
        "/api/v1/readings?device_id=ch4-1101-t&limit=0",
        "/api/v1/assets/miner-001/history?limit=99999999999999999999",
    ],
)
def test_out_of_range_limit_is_422(shared_api: Api, path: str) -> None:
    response = shared_api.call("super_manager", "GET", path)
    assert response.status_code == 422 and "limit" in response.json()["error"]["message"], response.text


def test_every_integer_parameter_of_every_route_is_bounded() -> None:
    """A new route with a bare ``int`` path or query parameter fails here: use ``DbId`` or ``Query(ge=, le=)``."""
    checked, unbounded = 0, []
    for route in (route for module in ROUTERS for route in module.router.routes):
        if not isinstance(route, APIRoute):
            continue
        for param in _path_and_query_params(route.dependant):
            if param.field_info.annotation is not int:
                continue
            checked += 1
            bounds = {type(m).__name__: m for m in param.field_info.metadata}
            low, high = bounds.get("Ge"), bounds.get("Le")
            if low is None or high is None or low.ge < 0 or high.le > INT64_MAX:
                unbounded.append(f"{route.path} {param.name}")
    assert checked >= 12 and unbounded == []


def _table(template: str) -> str:
    return template.split("{")[0].rstrip("/").split("/")[-1]


def _path_and_query_params(dependant) -> list:
    params = list(dependant.path_params) + list(dependant.query_params)
    for sub in dependant.dependencies:
        params.extend(_path_and_query_params(sub))
    return params
