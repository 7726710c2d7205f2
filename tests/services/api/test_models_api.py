"""The model registry through the API: managers read, only the super-manager adds, promotes and rolls back
(an operator is refused with 403 naming who may), bad input is a 4xx naming the fix, each change is audited."""

from __future__ import annotations

import base64

import pytest

from tiny_risk_models import tiny_learned_risk

from .conftest import Api


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("api-models")
    return [
        base64.b64encode(tiny_learned_risk(seed).save(folder / f"m{seed}.pt").read_bytes()).decode() for seed in (0, 1)
    ]


def body(content: str, **extra) -> dict:
    return {"filename": "risk.pt", "content_base64": content, **extra}


def test_super_manager_adds_promotes_and_rolls_back(api: Api, files: list[str]) -> None:
    serving = {row["kind"]: row for row in api.call("manager", "GET", "/api/v1/models/serving").json()}
    assert serving["risk"] == {
        "kind": "risk",
        "label": "risk default (trend)",
        "version": None,
        "model": "trend",
        "load_problem": None,
    }
    assert (
        serving["seismic"]["label"] == "seismic default (ghazard-rule)"
    )  # risk and seismic serve by default: the setting, the rule
    assert (serving["multimodal"]["label"], serving["multimodal"]["model"]) == (
        "multimodal: no active version",
        "rules-only",
    )  # no fusion warnings without a version
    added = api.call("super_manager", "POST", "/api/v1/models/risk/versions", json=body(files[0], note="first"))
    assert added.status_code == 201, added.text
    first = added.json()
    assert (first["kind"], first["version"], first["active"], first["note"]) == ("risk", 1, False, "first")
    assert first["training_data"].startswith("simulated trajectories") and len(first["sha256"]) == 64
    assert "val_loss" in first["metrics"] and first["created_by"] == "admin"
    given = body(files[1], training_data="shift logs", training_data_sha256="A" * 64, metrics={"val_auc": 0.7})
    second = api.call("super_manager", "POST", "/api/v1/models/risk/versions", json=given).json()
    assert (second["version"], second["training_data_sha256"], second["metrics"]) == (2, "a" * 64, {"val_auc": 0.7})

    promoted = api.call("super_manager", "POST", "/api/v1/models/risk/promote", json={"version": 1, "reason": "try"})
    assert promoted.status_code == 200 and promoted.json()["active"] is True
    api.call("super_manager", "POST", "/api/v1/models/risk/promote", json={"version": 2})
    back = api.call("super_manager", "POST", "/api/v1/models/risk/rollback", json={"reason": "v2 is worse"})
    assert back.status_code == 200 and back.json()["version"] == 1
    serving = api.call("manager", "GET", "/api/v1/models/serving").json()
    serving = next(s for s in serving if s["kind"] == "risk")
    assert (serving["label"], serving["model"]) == ("risk v1", "learned")  # the running service took the rollback
    listed = api.call("manager", "GET", "/api/v1/models").json()
    assert [(m["version"], m["active"]) for m in listed] == [(2, False), (1, True)]
    assert api.call("manager", "GET", "/api/v1/models/risk/versions/2").json()["metrics"] == {"val_auc": 0.7}

    entries = api.call("manager", "GET", "/api/v1/audit").json()
    changes = [(e["action"], e["actor"]) for e in entries if e["action"].startswith("model.")]
    assert sorted(changes) == sorted(
        [("model.added", "admin")] * 2 + [("model.promoted", "admin")] * 2 + [("model.rolled_back", "admin")]
    )


def test_operator_and_manager_may_not_change_models(api: Api, files: list[str]) -> None:
    for role in ("operator", "supervisor", "manager"):
        refused = api.call(role, "POST", "/api/v1/models/risk/versions", json=body(files[0]))
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == f"role {role} may not manage models — needs: super_manager"
        assert api.call(role, "POST", "/api/v1/models/risk/promote", json={"version": 1}).status_code == 403
    refused = api.call("operator", "GET", "/api/v1/models")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "role operator may not view models — needs: manager, super_manager"
    assert api.call("manager", "GET", "/api/v1/models").json() == []  # nothing was added


@pytest.mark.parametrize(
    ("path", "payload", "status", "message"),
    [
        ("/api/v1/models/risk/versions", body("bm90IGEgbW9kZWw="), 422, "risk.pt: does not load as a risk model"),
        ("/api/v1/models/risk/versions", body("%%%"), 422, "content_base64: not base64"),
        ("/api/v1/models/bogus/versions", body("AAAA"), 404, "no model kind 'bogus' — the kinds are: "),
        ("/api/v1/models/risk/promote", {"version": 3}, 404, "no risk model version 3 at site sample-coal-mine"),
        ("/api/v1/models/risk/rollback", {}, 409, "no risk model version is active at site sample-coal-mine"),
    ],
)
def test_bad_requests_name_the_fix(api: Api, path: str, payload: dict, status: int, message: str) -> None:
    answer = api.call("super_manager", "POST", path, json=payload)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"].startswith(message)


def test_a_duplicate_file_is_409_naming_its_version(api: Api, files: list[str]) -> None:
    assert api.call("super_manager", "POST", "/api/v1/models/risk/versions", json=body(files[0])).status_code == 201
    again = api.call("super_manager", "POST", "/api/v1/models/risk/versions", json=body(files[0]))
    assert again.status_code == 409 and "is already risk version 1" in again.json()["error"]["message"]
