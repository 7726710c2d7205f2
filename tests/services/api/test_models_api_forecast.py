"""The ``forecast`` kind through the API: ``/models/serving`` says when none is active and which version serves
once one is promoted; a file that is no forecast model is a 422 naming the file and the fix."""

from __future__ import annotations

import base64

from tiny_forecasters import forecast_file

from .conftest import Api


def test_forecast_serving_none_then_promoted(api: Api, tmp_path) -> None:
    def forecast() -> dict:
        return next(s for s in api.call("manager", "GET", "/api/v1/models/serving").json() if s["kind"] == "forecast")

    assert (forecast()["label"], forecast()["version"]) == ("forecast: no active version", None)
    content = base64.b64encode(forecast_file(tmp_path).read_bytes()).decode()
    body = {"filename": "co.json", "content_base64": content, "training_data": "a ramp"}
    added = api.call("super_manager", "POST", "/api/v1/models/forecast/versions", json=body)
    assert added.status_code == 201, added.text
    assert api.call("super_manager", "POST", "/api/v1/models/forecast/promote", json={"version": 1}).status_code == 200
    now = forecast()
    assert (now["label"], now["version"], now["model"], now["load_problem"]) == (
        "forecast v1",
        1,
        "lightgbm-forecast",
        None,
    )
    bad = {**body, "content_base64": base64.b64encode(b'{"serves": {}}').decode(), "filename": "bad.json"}
    refused = api.call("super_manager", "POST", "/api/v1/models/forecast/versions", json=bad)
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith("bad.json: does not load as a forecast model:")
