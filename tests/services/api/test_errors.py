"""Bad input never becomes a 500: each error is JSON with a message that says what to fix."""

from __future__ import annotations

import pytest

from .test_role_matrix import MATRIX


def _error(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == response.status_code
    return body["error"]["message"]


def test_malformed_json(api) -> None:
    response = api.call(
        "super_manager",
        "PUT",
        "/api/v1/sensitivity",
        content=b'{"changes": [',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422 and "not valid JSON" in _error(response)


@pytest.mark.parametrize(
    ("content", "why"),
    [(b'{"changes": "\xff\xfe"}', "not UTF-8 text"), (b"[" * 50_000 + b"]" * 50_000, "nested too deeply")],
    ids=["not-utf8", "too-deep"],
)
def test_undecodable_json_is_422_naming_the_body(api, content: bytes, why: str) -> None:
    """Found by the fuzzer: FastAPI answered such bodies with an undeclared 400."""
    response = api.call(
        "super_manager", "PUT", "/api/v1/sensitivity", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert why in _error(response)
    assert response.json()["error"]["details"][0]["field"] == "body"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"changes": [{"key": "fall_impact_g", "value": 3, "unit": "psi"}]}, "use one of g, m/s2"),
        ({"changes": [{"key": "fall_impact_g", "value": "high", "unit": "g"}]}, "changes.0.value"),
        ({"changes": [{"key": "faint_limit", "value": 3, "unit": "s"}]}, "changes.0.key"),
        ({"changes": [{"key": "freefall_g", "value": 1.5, "unit": "g"}]}, "freefall_g"),
        ({"changes": [{"key": "noise_g", "value": 0.1, "unit": "g", "colour": "red"}]}, "unknown field"),
        ({"changes": []}, "changes"),
    ],
)
def test_wrong_units_types_and_fields(shared_api, body: dict, expected: str) -> None:
    response = shared_api.call("super_manager", "PUT", "/api/v1/sensitivity", json=body)
    assert response.status_code == 422
    assert expected in _error(response)
    values = shared_api.call("super_manager", "GET", "/api/v1/sensitivity").json()["values"]
    assert values["fall_impact_g"] == 2.5 and values["freefall_g"] == 0.5  # nothing half-applied


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/zones/no_such_zone",
        "/api/v1/assets/miner-999",
        "/api/v1/devices/nope",
        "/api/v1/assets/miner-999/history",
        "/api/v1/zones/nowhere/occupants?start=2026-11-22T00:00:00Z",
    ],
)
def test_unknown_ids_are_404_with_a_pointer(shared_api, path: str) -> None:
    response = shared_api.call("manager", "GET", path)
    assert response.status_code == 404
    assert "does not exist" in _error(response) and "GET /api/v1/" in _error(response)


def test_naive_timestamp_and_out_of_range_coordinates(api) -> None:
    naive = {"t": "2026-11-22T06:00:00", "x_m": 1, "y_m": 0, "z_m": -400}
    response = api.call("manager", "POST", "/api/v1/assets/miner-001/position", json=naive)
    assert response.status_code == 422 and "time zone" in _error(response)
    far = {"t": "2026-11-22T06:00:00Z", "x_m": 1e9, "y_m": 0, "z_m": -400}
    assert api.call("manager", "POST", "/api/v1/assets/miner-001/position", json=far).status_code == 422


def test_oversized_request(api) -> None:
    big = {
        "readings": [
            {
                "barcode": "6901234500011",
                "t": "2026-11-22T06:00:00Z",
                "x_m": 1,
                "y_m": 0,
                "z_m": 0,
                "accel_g": [[0.0, 0.0, 1.0]] * 6000,
                "rate_hz": 50,
            }
        ]
        * 3
    }
    response = api.client.post("/api/v1/gateways/gw-faces/readings", json=big)
    assert response.status_code == 413 and "smaller batches" in _error(response)


def test_unknown_route_and_method(api) -> None:
    assert api.call("manager", "GET", "/api/v1/nothing-here").status_code == 404
    assert api.call("manager", "DELETE", "/api/v1/zones").status_code == 405


def test_accelerometer_without_rate_and_unknown_tag(api) -> None:
    secret = {"X-Gateway-Secret": api.call("manager", "POST", "/api/v1/gateways/gw-faces/register").json()["secret"]}
    reading = {"barcode": "6901234500011", "t": "2026-11-22T06:00:00Z", "x_m": 100, "y_m": 0, "z_m": -400}
    no_rate = {"readings": [{**reading, "accel_g": [[0, 0, 1]] * 100}]}
    response = api.client.post("/api/v1/gateways/gw-faces/readings", json=no_rate, headers=secret)
    assert response.status_code == 422 and "rate_hz" in _error(response)
    unknown = {"readings": [{**reading, "barcode": "0000000000"}]}
    response = api.client.post("/api/v1/gateways/gw-faces/readings", json=unknown, headers=secret)
    assert response.status_code == 404 and "barcode" in _error(response)


JUNK = [b"null", b"[]", b'"text"', b"12", b'{"a": {"b": [1, 2, {"c": null}]}}', b"\xff\xfe", b'{"t": NaN}']


@pytest.mark.parametrize(
    ("method", "template", "path", "body", "allowed"), MATRIX, ids=[f"{m} {t}" for m, t, *_ in MATRIX]
)
def test_no_route_answers_500_to_junk(shared_api, method: str, template: str, path: str, body, allowed) -> None:
    if body is None and method == "GET":
        for query in ("?start=yesterday&end=2&limit=-1&at=soon&kind=robot", "?limit=99999999999999999999"):
            response = shared_api.call("super_manager", method, path + query)
            assert response.status_code < 500, response.text
        return
    for junk in JUNK:
        response = shared_api.call(
            "super_manager", method, path, content=junk, headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (junk, response.text)
        if response.status_code >= 400:
            _error(response)


def test_time_window_backwards(shared_api) -> None:
    path = "/api/v1/zones/face_1101/occupants?start=2026-11-22T08:00:00Z&end=2026-11-22T07:00:00Z"
    response = shared_api.call("manager", "GET", path)
    assert response.status_code == 422 and "swap them" in _error(response)
    path = "/api/v1/assets/miner-001/history?start=2026-11-22T08:00:00Z&end=2026-11-22T07:00:00Z"
    assert shared_api.call("manager", "GET", path).status_code == 422
