"""Request numbers are JSON numbers and booleans are true/false: ``false`` is not a staff limit of 0,
``"3"`` is not 3, ``1`` is not ``true``. Each is a 422 naming the field, and nothing changes."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from mineguard.services.api import schemas
from mineguard.services.api.schemas.common import In

from .conftest import Api

T = "2026-11-22T06:00:00Z"
TAG = {"barcode": "6901234500011", "t": T, "x_m": 100, "y_m": 0, "z_m": -400}

# (caller, method, path, body, the field the 422 names)
LAX = [
    ("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", {"staff_limit": False}, "staff_limit"),
    ("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", {"staff_limit": True}, "staff_limit"),
    ("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", {"staff_limit": "3"}, "staff_limit"),
    ("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", {"staff_limit": 3.0}, "staff_limit"),
    ("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", {"danger": 1}, "danger"),
    ("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", {"danger": "true"}, "danger"),
    (
        "super_manager",
        "PUT",
        "/api/v1/sensitivity",
        {"changes": [{"key": "noise_g", "value": True, "unit": "g"}]},
        "changes.0.value",
    ),
    (
        "super_manager",
        "PUT",
        "/api/v1/sensitivity",
        {"changes": [{"key": "noise_g", "value": "0.06", "unit": "g"}]},
        "changes.0.value",
    ),
    ("manager", "POST", "/api/v1/assets/miner-001/position", {"t": T, "x_m": True, "y_m": 0, "z_m": -400}, "x_m"),
    ("manager", "POST", "/api/v1/assets/miner-001/position", {"t": T, "x_m": "100", "y_m": 0, "z_m": -400}, "x_m"),
    ("manager", "PUT", "/api/v1/gateways/gw-faces/config", {"scan_window_s": True}, "scan_window_s"),
    ("manager", "PUT", "/api/v1/gateways/gw-faces/config", {"latitude": "45.1"}, "latitude"),
    ("manager", "POST", "/api/v1/gateways/gw-faces/commands", {"command": "rescan", "timeout_s": "60"}, "timeout_s"),
    (
        "manager",
        "POST",
        "/api/v1/tags/pair",
        {"barcode": "6901234500028", "asset_id": "miner-002", "force": 1},
        "force",
    ),
    ("manager", "POST", "/api/v1/faces/miner-002/embeddings", {"embeddings": [[True, 0.0, 1.0]]}, "embeddings.0.0"),
    ("manager", "POST", "/api/v1/faces/miner-002/embeddings", {"embeddings": [["0.6", 0.8, 0.0]]}, "embeddings.0.0"),
    ("gateway", "POST", "/api/v1/gateways/gw-faces/readings", {"readings": [{**TAG, "y_m": False}]}, "readings.0.y_m"),
    (
        "gateway",
        "POST",
        "/api/v1/gateways/gw-faces/readings",
        {"readings": [{**TAG, "accel_g": [[0, 0, True]], "rate_hz": 50}]},
        "readings.0.accel_g.0.2",
    ),
    (
        "gateway",
        "POST",
        "/api/v1/gateways/gw-faces/readings",
        {"readings": [{**TAG, "accel_g": [[0, 0, 1]], "rate_hz": "50"}]},
        "readings.0.rate_hz",
    ),
    ("gateway", "POST", "/api/v1/gateways/gw-faces/commands/1/ack", {"ok": 1}, "ok"),
]


@pytest.mark.parametrize(("caller", "method", "path", "body", "field"), LAX, ids=[f"{c[2]} {c[4]}" for c in LAX])
def test_lax_numbers_and_booleans_are_422(shared_api: Api, caller: str, method: str, path: str, body, field: str):
    if caller == "gateway":
        secret = shared_api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]
        response = shared_api.client.request(method, path, json=body, headers={"X-Gateway-Secret": secret})
    else:
        response = shared_api.call(caller, method, path, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["message"], response.text


def test_staff_limit_false_is_not_zero(shared_api: Api) -> None:
    before = shared_api.call("manager", "GET", "/api/v1/zones/face_1101").json()["staff_limit"]
    refused = shared_api.call("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", json={"staff_limit": False})
    assert refused.status_code == 422
    assert shared_api.call("manager", "GET", "/api/v1/zones/face_1101").json()["staff_limit"] == before
    ok = shared_api.call("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", json={"staff_limit": 12})
    assert ok.status_code == 200 and ok.json()["staff_limit"] == 12
    restored = {"staff_limit": before} if before is not None else {"staff_limit": 12}
    assert shared_api.call("super_manager", "PATCH", "/api/v1/zones/face_1101/limits", json=restored).status_code == 200


def test_whole_numbers_still_do_for_decimal_fields(shared_api: Api) -> None:
    body = {"t": T, "x_m": 100, "y_m": 0, "z_m": -400}  # ints where metres are documented as numbers
    assert shared_api.call("manager", "POST", "/api/v1/assets/miner-001/position", json=body).status_code == 201


def test_every_request_number_and_boolean_is_strict() -> None:
    """A new request field typed plain ``int``, ``float`` or ``bool`` fails here: use StrictInt, Number, StrictBool."""
    for module in pkgutil.iter_modules(schemas.__path__):  # every resource module, imported by a route or not
        importlib.import_module(f"{schemas.__name__}.{module.name}")
    requests = _subclasses(In)
    lax = [f"{model.__name__}: {kind}" for model in requests for kind in _lax_kinds(model.__pydantic_core_schema__)]
    assert len(requests) >= 15 and lax == []


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def _lax_kinds(schema) -> list[str]:
    if isinstance(schema, list):
        return [kind for item in schema for kind in _lax_kinds(item)]
    if not isinstance(schema, dict):
        return []
    own = [schema["type"]] if schema.get("type") in ("int", "float", "bool") and not schema.get("strict") else []
    return own + [kind for key, value in schema.items() if key != "cls" for kind in _lax_kinds(value)]
