"""A refused sensitivity change says which change and which of its fields (``details[].loc``) is wrong,
with the fix, and changes nothing: an unknown unit at the unit, a value out of range at the value."""

from __future__ import annotations

import pytest

from .conftest import Api

CASES = [
    (
        [{"key": "noise_g", "value": 0.06, "unit": "g"}, {"key": "fall_impact_g", "value": 3, "unit": "psi"}],
        ["changes", 1, "unit"],
        "unit 'psi' is not valid for fall_impact_g",
        "use one of g, m/s2",
    ),
    (
        [{"key": "noise_g", "value": 5, "unit": "g"}],
        ["changes", 0, "value"],
        "noise_g: Input should be less than",
        None,
    ),
    ([{"key": "faint_still_s", "value": "long", "unit": "s"}], ["changes", 0, "value"], "valid number", "e.g. 0.5"),
]


@pytest.mark.parametrize(("changes", "loc", "says", "fix"), CASES, ids=["unit", "range", "text"])
def test_a_refused_change_names_its_field_and_changes_nothing(
    shared_api: Api, changes: list, loc: list, says: str, fix: str | None
) -> None:
    before = shared_api.call("manager", "GET", "/api/v1/sensitivity").json()
    response = shared_api.call("super_manager", "PUT", "/api/v1/sensitivity", json={"changes": changes})
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert [d["loc"] for d in details] == [loc] and says in details[0]["message"], details
    assert fix is None or fix in details[0]["fix"], details
    assert shared_api.call("manager", "GET", "/api/v1/sensitivity").json() == before
