"""The rules view in a real browser against a real service: the super-manager edits a threshold, it is
saved (version + 1, audited) and in force (the next reading above it raises an alert); a threshold that
is not a number and an unknown unit each show the API's own message at the field and change nothing;
an operator is offered no rules view, and the API refuses their token (403)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from .conftest import Mine, as_role, log_in, require_browser

require_browser()
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may be missing)

DOCS = Path(__file__).resolve().parents[3] / "docs"
RULE = "methane.working_face"


def rules_now(mine: Mine) -> dict:
    response = mine.http.get("/api/v1/rules")
    assert response.status_code == 200, response.text
    return response.json()


def open_rules(page: Page, mine: Mine) -> None:
    log_in(page, mine, *mine.admin)
    page.get_by_role("button", name="Rules", exact=True).click()
    expect(page.locator("#rules-version")).to_have_attribute("data-version", str(rules_now(mine)["version"]))


def own_threshold(page: Page, mine: Mine) -> int:
    """The index of the site's own methane.working_face threshold, overriding the regulation's default if need be."""
    ids = [rule["id"] for rule in rules_now(mine)["rules"]["thresholds"]]
    if RULE in ids:
        return ids.index(RULE)
    page.get_by_role("button", name=f"Override {RULE}").click()
    expect(page.locator(f'#rules-thresholds fieldset[data-rule-id="{RULE}"]')).to_be_visible()
    return len(ids)


def test_super_manager_edits_a_threshold_and_it_is_in_force(page: Page, mine: Mine, screenshots: Path) -> None:
    before = rules_now(mine)
    open_rules(page, mine)
    i = own_threshold(page, mine)
    page.locator(f'[data-path="thresholds[{i}].levels[0].threshold"]').fill("0.5")  # % (the regulation's: higher)
    page.locator(f'[data-path="thresholds[{i}].for_s"]').fill("0")
    page.get_by_label("Reason").fill("trial: warn earlier at face 1101")
    page.get_by_role("button", name="Save", exact=True).click()
    version = before["version"] + 1
    expect(page.locator("#rules-status")).to_have_text(f"saved as version {version}, in force")
    expect(page.locator("#rules-version")).to_have_attribute("data-version", str(version))
    expect(page.locator(f'#rules-history tr[data-version="{version}"]')).to_contain_text("trial: warn earlier")
    page.screenshot(path=screenshots / "rules-saved.png", full_page=True)

    after = rules_now(mine)
    assert (after["version"], after["running_version"], after["origin"]) == (version, version, "api")
    assert after["rules"]["thresholds"][i]["levels"][0]["threshold"] == 0.5
    audit = mine.http.get("/api/v1/audit", params={"action": "rules.changed"}).json()
    entry = next(e for e in audit if e["payload"]["version"]["to"] == version)
    assert entry["actor"] == mine.admin[0] and entry["payload"]["reason"] == "trial: warn earlier at face 1101"

    reading = {"device_id": "ch4-1101-t", "kind": "methane", "seq": 1, "value": 0.6, "unit": "%"}
    sent = mine.http.post("/api/v1/readings", json=[reading | {"t": datetime.now(UTC).isoformat()}])
    assert sent.status_code == 200 and sent.json()["accepted"] == 1, sent.text
    page.get_by_role("button", name="Alerts", exact=True).click()
    expect(page.locator("#alert-list li.sev-warning")).to_contain_text("Methane")  # live: 0.6 % is over the new 0.5 %


BAD_INPUT = [  # (screenshot, the field's path ({i}: the own threshold's index), what is typed, the API's words)
    ("not-a-number", "thresholds[{i}].levels[0].threshold", "high", "Input should be a valid number"),
    ("unknown-unit", "thresholds[{i}].unit", "furlong", "'furlong' is not a known unit"),
    ("unknown-signal", "combined[0].all[1].signal", "fan-9.running", "unknown signal 'fan-9.running'"),
]


@pytest.mark.parametrize(("name", "field", "typed", "says"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_shows_the_apis_message_at_the_field_and_changes_nothing(
    page: Page, mine: Mine, screenshots: Path, name: str, field: str, typed: str, says: str
) -> None:
    before = rules_now(mine)
    open_rules(page, mine)
    path = field.format(i=own_threshold(page, mine)) if "{i}" in field else field
    page.locator(f'[data-path="{path}"]').fill(typed)
    page.get_by_role("button", name="Save", exact=True).click()
    message = page.locator(f'.field-error[data-for="{path}"]')
    expect(message).to_contain_text(says)  # the API's own words, at the input they are about
    expect(page.locator(f'[data-path="{path}"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rules-status")).to_contain_text(f"not saved — version {before['version']} stays in force")
    expect(page.locator("#rules-version")).to_have_attribute("data-version", str(before["version"]))
    after = rules_now(mine)
    assert (after["version"], after["rules"]) == (before["version"], before["rules"])
    message.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f"rules-{name}.png")
    if name == "unknown-unit":
        shutil.copyfile(screenshots / f"rules-{name}.png", DOCS / "dashboard-rules.png")


def test_an_operator_is_not_offered_rules_and_the_api_refuses_them(page: Page, mine: Mine) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    as_role(page, mine, "operator")
    expect(page.get_by_role("button", name="Mine map", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Rules", exact=True)).to_have_count(0)
    expect(page.locator("#view-rules")).to_be_hidden()
    assert not [url for url in requests if "/api/v1/rules" in url]
    token = page.evaluate("sessionStorage.getItem('mineguard.token')")
    body = {"rules": rules_now(mine)["rules"], "expected_version": rules_now(mine)["version"]}
    refused = httpx.put(f"{mine.url}/api/v1/rules", json=body, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and "needs: super_manager" in refused.json()["error"]["message"], refused.text


def test_a_sensitivity_in_an_unknown_unit_is_refused_at_its_unit(page: Page, mine: Mine) -> None:
    before = mine.http.get("/api/v1/sensitivity").json()
    open_rules(page, mine)
    page.locator('[data-sense="fall_impact_g.unit"]').fill("psi")
    page.get_by_role("button", name="Save sensitivities").click()
    message = page.locator('.sense[data-key="fall_impact_g"] .field-error')
    expect(message).to_contain_text("unit 'psi' is not valid for fall_impact_g — use one of g, m/s2")
    assert mine.http.get("/api/v1/sensitivity").json() == before
    page.locator('[data-sense="fall_impact_g.unit"]').fill("g")
    page.locator('[data-sense="faint_still_s.value"]').fill("2")
    page.locator('[data-sense="faint_still_s.unit"]').fill("min")
    page.get_by_role("button", name="Save sensitivities").click()
    expect(page.locator("#sensitivity [role=status]")).to_have_text("saved: faint_still_s")
    assert mine.http.get("/api/v1/sensitivity").json()["values"]["faint_still_s"] == 120.0
