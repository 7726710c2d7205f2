"""GET /api/v1/sensors and /api/v1/sensors/{id}/forecast: the threshold lines the running rules draw for
each sensor, its latest value, who may read them, bad parameters answered 4xx naming the field."""

from __future__ import annotations

from datetime import timedelta

from mineguard.services.storage.types import utc_now

from .conftest import Api


def _send(
    api: Api, device_id: str, kind: str, unit: str, values: list[float], *, step_s: float = 10.0, seq: int = 1
) -> None:
    start = utc_now() - timedelta(seconds=step_s * len(values))
    readings = [
        {"device_id": device_id, "kind": kind, "seq": seq + i, "t": (start + timedelta(seconds=step_s * i)).isoformat()}
        | {"value": value, "unit": unit}
        for i, value in enumerate(values)
    ]
    response = api.call("manager", "POST", "/api/v1/readings", json={"readings": readings})
    assert response.status_code == 200 and response.json()["accepted"] == len(values), response.text


def test_sensors_carry_their_zone_latest_value_and_regulation_lines(api: Api) -> None:
    _send(api, "ch4-1101-t", "methane", "%", [0.3, 0.4])
    response = api.call("supervisor", "GET", "/api/v1/sensors")
    assert response.status_code == 200, response.text
    sensors = {sensor["id"]: sensor for sensor in response.json()}
    methane = sensors["ch4-1101-t"]
    assert (methane["sensor_kind"], methane["unit"], methane["zone_id"]) == ("methane", "%", "face_1101")
    assert methane["zone_name"] == "Longwall face 1101"
    assert methane["latest"]["value"] == 0.4 and methane["latest"]["seq"] == 2
    lines = methane["thresholds"]
    assert [line["rule_id"] for line in lines] == ["methane.working_face"] * len(lines)
    assert lines[0]["severity"] == "warning"  # lowest severity first
    assert lines[0]["threshold"] == 1.0 and lines[0]["op"] == ">="  # the 1.0 % of the coal-mine rules
    assert "规程" in lines[0]["source"] or ".txt" in lines[0]["source"]
    assert sensors["o2-main"]["thresholds"][0]["op"] == "<="  # oxygen: a minimum
    assert sensors["ch4-1102-t"]["latest"] is None  # never reported
    assert all(sensor["rules_version"] == 1 for sensor in sensors.values())


def test_a_sensor_on_a_machine_gets_the_machine_rules_and_an_edit_shows_at_once(api: Api) -> None:
    rules = api.call("super_manager", "GET", "/api/v1/rules").json()
    early = {"id": "ch4-face-early", "kind": "methane", "zone": "face_1101"}
    early["levels"] = [{"severity": "info", "threshold": 0.6}]
    shearer = {"id": "shearer-shake", "kind": "shearer-1101.vibration"}
    shearer["levels"] = [{"severity": "warning", "threshold": 9.0}]
    own = [*rules["rules"]["thresholds"], early, shearer]
    body = {"rules": {**rules["rules"], "thresholds": own}, "reason": "test"}
    body["expected_version"] = rules["version"]
    assert api.call("super_manager", "PUT", "/api/v1/rules", json=body).status_code == 200
    sensors = {s["id"]: s for s in api.call("manager", "GET", "/api/v1/sensors?zone_id=face_1101").json()}
    assert set(sensors) >= {"ch4-1101-t", "temp-1101", "shearer-1101-vib"}
    assert all(s["zone_id"] == "face_1101" for s in sensors.values())
    first = sensors["ch4-1101-t"]["thresholds"][0]
    assert (first["rule_id"], first["severity"], first["threshold"]) == ("ch4-face-early", "info", 0.6)
    assert sensors["ch4-1101-t"]["rules_version"] == rules["version"] + 1
    on_machine = [line for line in sensors["shearer-1101-vib"]["thresholds"] if line["rule_id"] == "shearer-shake"]
    assert [(line["signal"], line["threshold"]) for line in on_machine] == [("shearer-1101.vibration", 9.0)]
    belt = api.call("manager", "GET", "/api/v1/sensors?zone_id=belt_roadway").json()
    assert all(line["rule_id"] != "shearer-shake" for s in belt for line in s["thresholds"])
    others = api.call("manager", "GET", "/api/v1/sensors?zone_id=face_1102").json()
    assert all(line["rule_id"] != "ch4-face-early" for s in others for line in s["thresholds"])


def test_only_roles_that_read_readings_see_sensors(api: Api) -> None:
    refused = api.call("operator", "GET", "/api/v1/sensors")
    assert refused.status_code == 403
    assert api.call(None, "GET", "/api/v1/sensors").status_code == 401
    assert api.call("operator", "GET", "/api/v1/sensors/ch4-1101-t/forecast").status_code == 403


def test_bad_parameters_are_4xx_naming_the_field(api: Api) -> None:
    unknown = api.call("supervisor", "GET", "/api/v1/sensors?zone_id=no_such_zone")
    assert unknown.status_code == 404 and "zone_id" in unknown.json()["error"]["message"]
    too_long = api.call("supervisor", "GET", f"/api/v1/sensors?zone_id={'z' * 65}")
    assert too_long.status_code == 422 and "zone_id" in too_long.text
    empty = api.call("supervisor", "GET", "/api/v1/sensors?zone_id=")
    assert empty.status_code == 422 and "zone_id" in empty.text
    missing = api.call("supervisor", "GET", "/api/v1/sensors/no-such-sensor/forecast")
    assert missing.status_code == 404 and "no-such-sensor" in missing.text
    gateway = api.call("supervisor", "GET", "/api/v1/sensors/tag-0001/forecast")
    assert gateway.status_code == 404 and "not a sensor" in gateway.text


def test_forecast_from_the_risk_model_or_the_reason_there_is_none(api: Api) -> None:
    none_yet = api.call("supervisor", "GET", "/api/v1/sensors/ch4-1101-t/forecast").json()
    assert none_yet["forecast"] is None and "too little" in none_yet["reason"]
    _send(api, "ch4-1101-t", "methane", "%", [0.40 + 0.01 * i for i in range(24)])  # 4 min rising 0.06 %/min
    body = api.call("supervisor", "GET", "/api/v1/sensors/ch4-1101-t/forecast").json()
    forecast = body["forecast"]
    assert body["reason"] is None and forecast["model"] == "trend"
    assert abs(forecast["rate_per_min"] - 0.06) < 1e-6
    assert abs(forecast["predicted"] - (0.63 + 0.06 * forecast["horizon_s"] / 60)) < 1e-6
    assert forecast["limit"] == 1.0 and forecast["op"] == ">=" and forecast["predicted_sd"] > 0
    assert forecast["limit_severity"] == "warning" and 6 < forecast["minutes_to_limit"] < 7  # (1.0 - 0.63) / 0.06
    _send(api, "ch4-1101-t", "methane", "%", [1.1, 1.12, 1.14], step_s=3.0, seq=100)  # past the warning line now
    past = api.call("supervisor", "GET", "/api/v1/sensors/ch4-1101-t/forecast").json()["forecast"]
    assert (past["limit"], past["limit_severity"]) == (1.5, "critical")  # the next line up
    machine_state = api.call("supervisor", "GET", "/api/v1/sensors/shearer-1101-run/forecast").json()
    assert machine_state["forecast"] is None and machine_state["reason"] == "no threshold judges this sensor"


def test_the_latest_value_carries_its_cleansing_flags(api: Api) -> None:
    _send(api, "ch4-1101-t", "methane", "%", [0.40, 0.41] * 6 + [2.5])  # a jump out of a flat line: a spike
    latest = api.call("supervisor", "GET", "/api/v1/sensors?zone_id=face_1101").json()
    methane = next(sensor for sensor in latest if sensor["id"] == "ch4-1101-t")["latest"]
    assert (methane["value"], methane["flags"]) == (2.5, ["spike"])
    _send(api, "ch4-1101-t", "methane", "%", [0.41], seq=14)
    again = api.call("supervisor", "GET", "/api/v1/sensors?zone_id=face_1101").json()
    assert next(sensor for sensor in again if sensor["id"] == "ch4-1101-t")["latest"]["flags"] == []
