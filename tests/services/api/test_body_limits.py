"""Bodies over ``max_body_bytes`` are a 413 on every route, chunked or not, and an oversized body
sent to an ingest route is kept as a reject (reason ``oversized``: its size and origin, not the body)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator

from mineguard.services.api.errors import BodySizeLimit, RouteLimit
from tiny_forecasters import forecast_file

from .conftest import MODEL_LIMIT, Api

LIMIT = 200_000  # the api fixture's max_body_bytes
TEN_MB = 10 * 1024 * 1024


def _chunked(total: int = TEN_MB, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A body without Content-Length: httpx sends a generator with Transfer-Encoding: chunked."""
    sent = 0
    while sent < total:
        yield b" " * chunk
        sent += chunk


ROUTES = [
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/users"),
    ("PUT", "/api/v1/sensitivity"),
    ("PATCH", "/api/v1/zones/face_1101/limits"),
    ("POST", "/api/v1/readings"),
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/faces/miner-002/embeddings"),
    ("POST", "/api/v1/alerts/1/ack"),
    ("POST", "/api/v1/gateways/gw-faces/readings"),
]


def test_a_chunked_body_over_the_limit_is_413_on_every_route(api: Api) -> None:
    json_type = {"Content-Type": "application/json"}
    for method, path in ROUTES:
        response = api.call("super_manager", method, path, content=_chunked(), headers=json_type)
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert response.status_code == 413, (path, response.text)
        assert "send smaller batches" in response.json()["error"]["message"]
    small = json.dumps({"username": "admin", "password": "super-secret-1"}).encode()
    response = api.client.post("/api/v1/auth/token", content=iter([small[:10], small[10:]]), headers=json_type)
    assert response.status_code == 200, response.text  # a chunked body under the limit still goes through


def test_an_oversized_ingest_body_is_counted_and_kept_without_its_body(api: Api) -> None:
    big = b'{"readings": [' + b" " * TEN_MB + b"]}"
    manager = {**api.headers("manager"), "Content-Type": "application/json"}
    assert api.client.post("/api/v1/readings", content=big, headers=manager).status_code == 413
    assert api.client.post("/api/v1/events", content=_chunked(), headers=manager).status_code == 413
    gateway = {"X-Gateway-Id": "gw-faces", "X-Gateway-Secret": "whatever"}
    assert api.client.post("/api/v1/gateways/gw-faces/readings", content=big, headers=gateway).status_code == 413
    assert api.client.post("/api/v1/auth/token", content=big).status_code == 413  # not an ingest route

    stats = _stats_when(api, oversized=3)
    assert stats["rejected_by_reason"]["oversized"] == 3 and stats["readings"] == 0
    rejects = api.call("manager", "GET", "/api/v1/readings/rejects", params={"reason": "oversized"}).json()
    assert len(rejects) == 3
    assert all(r["payload"] == "" and not r["truncated"] and r["source"].startswith("http:addr:") for r in rejects)
    details = sorted(r["detail"] for r in rejects)
    assert any("POST /api/v1/events: body (chunked) cut off after" in d for d in details)
    assert any(f"POST /api/v1/readings: body of {len(big)} bytes, over the {LIMIT}-byte limit" in d for d in details)
    claimed = "X-Gateway-Id 'gw-faces' (not authenticated)"
    assert any("/gateways/gw-faces/readings" in d and claimed in d for d in details)


def _stats_when(api: Api, *, oversized: int, timeout_s: float = 10.0) -> dict:
    """The reading stats once ``oversized`` refusals are counted (they are written by a background thread)."""
    deadline = time.monotonic() + timeout_s
    while True:
        stats = api.call("manager", "GET", "/api/v1/readings/stats").json()
        if stats["rejected_by_reason"]["oversized"] >= oversized or time.monotonic() > deadline:
            return stats
        time.sleep(0.05)


def test_a_model_file_may_be_larger_than_other_bodies(api: Api, tmp_path) -> None:
    """A model version's file (base64 in JSON) has its own limit, ``max_model_bytes``: a forecast model over the
    200 kB of every other body is added; the same size on the model routes' other bodies is still a 413."""
    model = forecast_file(tmp_path).read_bytes() + b" " * LIMIT  # JSON with trailing blanks: the same model
    body = {"filename": "co.json", "content_base64": base64.b64encode(model).decode(), "training_data": "a ramp"}
    added = api.call("super_manager", "POST", "/api/v1/models/forecast/versions", json=body)
    assert added.status_code == 201, added.text
    padded = {"version": 1, "reason": " " * LIMIT}
    assert api.call("super_manager", "POST", "/api/v1/models/forecast/promote", json=padded).status_code == 413
    huge = {**body, "content_base64": base64.b64encode(b" " * MODEL_LIMIT).decode()}
    refused = api.call("super_manager", "POST", "/api/v1/models/forecast/versions", json=huge)
    assert refused.status_code == 413
    assert refused.json()["error"]["message"] == (
        f"request body over {MODEL_LIMIT} bytes — raise MINEGUARD_MAX_MODEL_BYTES, or add the file with "
        "`mineguard models add`"
    )


def test_the_limit_of_a_route_of_its_own_and_what_its_refusal_says() -> None:
    model_files = RouteLimit("POST", re.compile(r"/api/v1/models/[^/]+/versions"), 5_000, "use the CLI")
    limits = BodySizeLimit(lambda *_: None, max_bytes=100, routes=[model_files])
    assert limits.limit_for("POST", "/api/v1/models/forecast/versions") == (5_000, "use the CLI")
    assert limits.limit_for("GET", "/api/v1/models/forecast/versions") == (100, "send smaller batches")
    assert limits.limit_for("POST", "/api/v1/models/forecast/versions/x") == (100, "send smaller batches")
    assert limits.limit_for("POST", "/api/v1/readings") == (100, "send smaller batches")
