"""The area history goes to ``POST /api/v1/events`` with the gateway's credentials: one event per
dated map (an undated map cannot be placed and is left out), refusals counted."""

from __future__ import annotations

import json
from datetime import date

import httpx

from mineguard.edge.findings import post_area_history


def test_each_dated_area_is_one_event_with_the_gateways_credentials() -> None:
    posted: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200, json={"accepted": 1, "duplicates": 0, "rejected": 1, "rejects": [{"detail": "x"}]})

    history = [(date(2021, 6, 19), 17.6), (None, 3.0), (date(2023, 2, 9), 19.9)]
    report = post_area_history(
        history,
        "http://127.0.0.1:9",
        threshold=0.8,
        zone_id="pit",
        site_id="s",
        gateway="gw",
        secret="secret",
        transport=httpx.MockTransport(answer),
    )
    [request] = posted
    assert request.url.path == "/api/v1/events" and request.headers["X-Gateway-Id"] == "gw"
    assert [(e["t"][:10], e["value"]) for e in json.loads(request.content)] == [
        ("2021-06-19", 17.6),
        ("2023-02-09", 19.9),
    ]
    assert (report.sent, report.refused) == (1, 1)
