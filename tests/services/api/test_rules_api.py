"""The rule API: only the super-manager reads and edits rules; a bad edit is 422 naming the field and
changes nothing; a stale edit is 409; an accepted edit is versioned, audited and judges the very next
POSTed reading, without a restart."""

from __future__ import annotations

from typing import Any

from .conftest import Api

T = "2026-11-22T06:00:{:02d}Z"
FACE_WARNING_05 = {
    "id": "methane.working_face",
    "kind": "methane",
    "zone_kind": "working_face",
    "unit": "ppm",
    "levels": [{"severity": "warning", "threshold": 5000}],  # 0.5 %
    "for_s": 0,
    "clear_for_s": 0,
}


def _current(api: Api) -> dict[str, Any]:
    response = api.call("super_manager", "GET", "/api/v1/rules")
    assert response.status_code == 200, response.text
    return response.json()


def _with(rules: dict[str, Any], **edits: Any) -> dict[str, Any]:
    return {**rules, **edits}


def _post_methane(api: Api, seq: int, value: float) -> None:
    body = [{"device_id": "ch4-1101-t", "kind": "methane", "seq": seq, "t": T.format(seq), "value": value, "unit": "%"}]
    response = api.call("manager", "POST", "/api/v1/readings", json=body)
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.text


def _active(api: Api) -> list[dict[str, Any]]:
    return api.call("manager", "GET", "/api/v1/alerts", params={"state": "active"}).json()


def test_only_the_super_manager_reads_and_edits_rules(api: Api) -> None:
    current = _current(api)
    assert (current["version"], current["origin"], current["running_version"]) == (1, "file", 1)
    assert current["rules"]["combined"][0]["id"] == "gas-rising-fan-stopped"
    body = {"rules": current["rules"], "expected_version": 1}
    for role in ("operator", "supervisor", "manager"):
        calls = [
            ("GET", "/api/v1/rules", None),
            ("GET", "/api/v1/rules/versions", None),
            ("PUT", "/api/v1/rules", body),
        ]
        for method, path, json in calls:
            response = api.call(role, method, path, json=json)
            assert response.status_code == 403, (role, method, path, response.text)
            assert "needs: super_manager" in response.json()["error"]["message"]
    assert api.client.get("/api/v1/rules").status_code == 401
    assert [v["version"] for v in api.call("super_manager", "GET", "/api/v1/rules/versions").json()] == [1]


def test_a_rule_the_site_cannot_have_is_422_naming_the_field_and_changes_nothing(api: Api) -> None:
    rules = _current(api)["rules"]
    bad = dict(FACE_WARNING_05, zone="face_9999", zone_kind=None)
    response = api.call("super_manager", "PUT", "/api/v1/rules", json={"rules": _with(rules, thresholds=[bad])})
    assert response.status_code == 422, response.text
    problems = response.json()["error"]["problems"]
    assert problems == [problems[0]] and problems[0].startswith("rules.thresholds[0].zone: zone 'face_9999' is not")
    wrong_kind = _with(rules, thresholds=[dict(FACE_WARNING_05, kind="smell", unit=None)])
    response = api.call("super_manager", "PUT", "/api/v1/rules", json={"rules": wrong_kind})
    assert response.status_code == 422 and response.json()["error"]["problems"][0].startswith(
        "rules.thresholds[0].kind"
    )
    signal = _with(rules, combined=[{**rules["combined"][0], "all": [{"signal": "fan-f9.running", "op": "present"}]}])
    response = api.call("super_manager", "PUT", "/api/v1/rules", json={"rules": signal})
    assert response.json()["error"]["problems"][0].startswith("rules.combined[0].all[0].signal: unknown signal 'fan-f9")
    unit = _with(rules, thresholds=[dict(FACE_WARNING_05, unit="furlong")])
    response = api.call("super_manager", "PUT", "/api/v1/rules", json={"rules": unit})
    assert response.status_code == 422
    assert response.json()["error"]["problems"][0].startswith("rules.thresholds.0.unit: methane in 'furlong'")
    assert _current(api)["version"] == 1  # nothing changed, nothing versioned
    assert len(api.call("super_manager", "GET", "/api/v1/rules/versions").json()) == 1


def test_a_stale_edit_is_409(api: Api) -> None:
    rules = _current(api)["rules"]
    assert (
        api.call("super_manager", "PUT", "/api/v1/rules", json={"rules": rules, "expected_version": 1}).status_code
        == 200
    )
    stale = api.call("super_manager", "PUT", "/api/v1/rules", json={"rules": rules, "expected_version": 1})
    assert stale.status_code == 409 and "at version 2, not 1" in stale.json()["error"]["message"]
    assert _current(api)["version"] == 2


def test_an_accepted_edit_is_audited_and_judges_the_next_reading(api: Api) -> None:
    current = _current(api)
    _post_methane(api, 1, 0.6)
    assert _active(api) == []  # 0.6 % is under the regulation's 1.0 %
    body = {"rules": _with(current["rules"], thresholds=[FACE_WARNING_05]), "expected_version": 1, "reason": "trial"}
    response = api.call("super_manager", "PUT", "/api/v1/rules", json=body)
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["origin"], response.json()["running_version"]) == (2, "api", 2)
    assert response.json()["rules"]["thresholds"][0]["unit"] == "ppm"  # kept as written
    _post_methane(api, 2, 0.6)
    alerts = _active(api)
    assert [(a["rule_id"], a["severity"]) for a in alerts] == [("methane.working_face", "warning")]
    assert alerts[0]["evidence"]["threshold"] == 0.5
    assert alerts[0]["evidence"]["inputs"] == ["reading:ch4-1101-t#2"]
    entries = api.call("super_manager", "GET", "/api/v1/audit", params={"action": "rules.changed"}).json()
    entry = next(e for e in entries if e["payload"]["version"] == {"from": 1, "to": 2})
    assert entry["actor"] == "admin" and entry["subject"] == "site:sample-coal-mine:rules"
    assert entry["payload"]["reason"] == "trial" and entry["payload"]["diff"]["added"] == ["methane.working_face"]
    assert entry["payload"]["old"] == current["rules"] and entry["payload"]["new"] == response.json()["rules"]
    versions = api.call("super_manager", "GET", "/api/v1/rules/versions").json()
    assert [(v["version"], v["origin"], v["actor"]) for v in versions] == [(2, "api", "admin"), (1, "file", "system")]


def test_the_rules_come_with_the_regulation_defaults_and_the_units_they_take(api: Api) -> None:
    current = _current(api)
    defaults = {rule["id"]: rule for rule in current["regulation_defaults"]}
    face = defaults["methane.working_face"]
    assert (face["kind"], face["zone_kind"], face["unit"]) == ("methane", "working_face", "%")
    assert face["levels"][0]["severity"] == "warning" and face["levels"][0]["source"]
    assert current["units"]["methane"][0] == "%" and "ppm" in current["units"]["methane"]
    overridden = {**face, "levels": [{**face["levels"][0], "threshold": 0.5}, *face["levels"][1:]]}
    body = {"rules": _with(current["rules"], thresholds=[overridden]), "expected_version": 1}
    assert (
        api.call("super_manager", "PUT", "/api/v1/rules", json=body).status_code == 200
    )  # a default, copied, is valid
