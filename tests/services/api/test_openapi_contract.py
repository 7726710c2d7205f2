"""The OpenAPI document tells the truth: every status a route answers to a hostile client is one it
declares, and no request makes the service answer 500.

Each route is called as an outsider would: without a login, as an operator and as the
super-manager; with ids that do not exist, ids past 64 bits, negative ids; with empty, wrong-shaped
and oversized bodies.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from .conftest import MODEL_LIMIT

SUCCESS = {200, 201, 204}
PATH_VALUES = ("no-such-thing", "999999", "99999999999999999999", "-1")
BODIES = ({}, [], "text", {"unexpected": True})
ROLES = (None, "operator", "super_manager")
SKIP_AS_USER = {("POST", "/api/v1/auth/logout")}  # would end the session the sweep uses


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _check(spec_statuses: set[int], method: str, path: str, response) -> str | None:
    if response.status_code >= 500:
        return f"{method} {path} -> {response.status_code}: {response.text[:200]}"
    if response.status_code not in spec_statuses | SUCCESS:
        return f"{method} {path} -> {response.status_code} not declared (declares {sorted(spec_statuses)})"
    return None


def _declared(operation: dict) -> set[int]:
    return {int(status) for status in operation["responses"]}


def test_every_answer_is_declared_and_none_is_500(shared_api):
    spec = shared_api.client.get("/openapi.json").json()
    client = TestClient(shared_api.client.app, raise_server_exceptions=False)  # a 500 is reported, not raised
    problems = []
    for method, template, operation in _operations(spec):
        declared = _declared(operation)
        for role in ROLES:
            if role and (method, template) in SKIP_AS_USER:
                continue
            for value in PATH_VALUES if "{" in template else ("",):
                path = _fill(template, value)
                bodies = BODIES if method in {"POST", "PUT", "PATCH"} else (None,)
                for body in bodies:
                    kwargs = {"json": body} if body is not None else {}
                    response = client.request(method, path, headers=shared_api.headers(role), **kwargs)
                    problems.append(_check(declared, method, path, response))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_oversized_bodies_are_413_on_every_body_route(api):
    spec = api.client.get("/openapi.json").json()
    for method, template, operation in _operations(spec):
        if method not in {"POST", "PUT", "PATCH"}:
            continue
        assert 413 in _declared(operation), f"{method} {template} does not declare 413"
        over = MODEL_LIMIT if template == "/api/v1/models/{kind}/versions" else 200_000  # the fixture's limits
        big = b'{"x": "' + b"a" * (over + 50_000) + b'"}'
        response = api.call(
            "super_manager", method, _fill(template, "x"), content=big, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413, f"{method} {template}: {response.status_code}"
        assert response.json()["error"]["status"] == 413


OWN_BODY_503 = {("/api/v1/health", "503"), ("/readyz", "503")}


def test_error_answers_carry_the_error_body_schema(shared_api):
    spec = shared_api.client.get("/openapi.json").json()
    for method, template, operation in _operations(spec):
        for status, answer in operation["responses"].items():
            if int(status) >= 400 and (template, status) not in OWN_BODY_503:  # health probes: their own body
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, template, status)


@pytest.mark.parametrize("route", ["/api/v1/alerts/{alert_id}", "/api/v1/users/{user_id}/role"])
def test_authenticated_routes_declare_401_and_403(shared_api, route):
    spec = shared_api.client.get("/openapi.json").json()
    for operation in spec["paths"][route].values():
        assert {401, 403, 404, 422} <= _declared(operation)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_number_bounds_are_json_schema_bounds(shared_api):
    """Found by the fuzzer: bounds on a finite Number were written as pydantic's own "ge"/"le" keys, which
    JSON Schema ignores, so a client built from the schema sent x_m = -4e16 and was refused."""
    spec = shared_api.client.get("/openapi.json").json()
    raw = [node for node in _walk(spec) if node.get("type") == "number" and {"ge", "le", "gt", "lt"} & node.keys()]
    assert not raw, raw[:3]
    x_m = spec["components"]["schemas"]["TagReadingIn"]["properties"]["x_m"]
    assert (x_m["minimum"], x_m["maximum"]) == (-5000, 5000)


def test_time_fields_state_the_accepted_years(shared_api):
    """Found by the fuzzer: a date-time of year 0448 fitted the schema and was refused (before 1900)."""
    spec = shared_api.client.get("/openapi.json").json()
    t = spec["components"]["schemas"]["TagReadingIn"]["properties"]["t"]
    assert t["format"] == "date-time"
    for text, accepted in [("0448-07-11T10:16:51Z", False), ("1899-12-31T23:00:00Z", False), (TIME, True)]:
        assert bool(re.match(t["pattern"], text)) is accepted, text
        body = {"readings": [{"barcode": "6901234500011", "t": text, "x_m": 100, "y_m": 0, "z_m": -400}]}
        secret = shared_api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
        response = shared_api.client.post(
            "/api/v1/gateways/gw-faces/readings", json=body, headers={"X-Gateway-Secret": secret}
        )
        assert (response.status_code == 200) is accepted, response.text


TIME = "2026-11-22T06:00:00Z"


def test_every_ref_resolves_in_the_document(shared_api):
    """Found by the fuzzer: the events batch body pointed at "#/$defs/EventSource", which the OpenAPI document
    does not have, so a client generated from it could not build a body at all."""
    spec = shared_api.client.get("/openapi.json").json()
    for node in _walk(spec):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = spec
            for part in ref.removeprefix("#/").split("/"):
                assert isinstance(target, dict) and part in target, f"{ref} does not resolve"
                target = target[part]


def test_tag_reading_schema_says_accel_needs_rate(shared_api):
    """Found by the fuzzer: accelerometer samples without rate_hz fitted the schema and were refused."""
    schema = shared_api.client.get("/openapi.json").json()["components"]["schemas"]["TagReadingIn"]
    assert schema["if"]["required"] == ["accel_g"] and schema["then"]["required"] == ["rate_hz"]
