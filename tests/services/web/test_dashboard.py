"""The control room in a real browser (Debian's chromium, headless) against a real ``mineguard serve``
on loopback: log in per role, watch an alert arrive live from readings posted over HTTP, read its
evidence, acknowledge it with a reason, see a person move on the map."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import load_site
from service_inputs import methane_rise

from .conftest import USERS, Mine, as_role, log_in, require_browser, tag_fix

require_browser()
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may be missing)

JPEG = cv2.imencode(".jpg", np.full((120, 160, 3), (40, 90, 160), np.uint8))[1].tobytes()


def post_readings(mine: Mine, readings: list[dict]) -> None:
    response = mine.http.post("/api/v1/readings", json={"readings": readings}, headers=mine.gateway)
    assert response.status_code == 200 and response.json()["accepted"] == len(readings), response.text


def alert_row(page: Page, zone: str):
    return page.locator("#alert-list li").filter(has_text=zone)


def test_bad_login_shows_the_api_message(page: Page, mine: Mine) -> None:
    said = mine.http.post("/api/v1/auth/token", json={"username": "nobody", "password": "wrong-password"})
    assert said.status_code == 401
    log_in_form = page.goto(mine.url)
    assert log_in_form is not None and page.url.endswith("/dashboard/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong-password")
    page.keyboard.press("Enter")
    expect(page.locator("#login-error")).to_have_text(said.json()["error"]["message"])
    expect(page.locator("#nav")).to_be_hidden()


def test_numbers_are_shown_to_the_digits_each_view_asks(page: Page, mine: Mine) -> None:
    page.goto(mine.url)
    shown = page.evaluate(
        """() => import(new URL("js/format.js", document.baseURI).href).then(({ formatValue: shown }) =>
             [shown(3.430849620763909, 4), shown(3.430849620763909), shown(1.5), shown(null)])"""
    )
    assert shown == ["3.431", "3.43", "1.5", "—"]  # alert evidence 4 digits, charts and lists 3, "—" for none


def test_alert_arrives_live_and_is_acknowledged_with_a_reason(page: Page, mine: Mine, screenshots) -> None:
    log_in(page, mine, *mine.admin)
    row = alert_row(page, "face_1101")
    expect(row).to_have_count(0)
    post_readings(mine, methane_rise("ch4-1101-t"))  # no reload: the stream brings it
    expect(row).to_have_attribute("data-state", "raised")
    expect(row).to_contain_text("Critical")  # severity in words (and an icon), not colour alone
    expect(row.locator(".deadline")).to_contain_text("escalates in")
    row.get_by_role("button").click()
    detail = page.locator("#alert-detail")
    expect(detail.locator("code.rule")).not_to_be_empty()
    expect(detail.locator(".inputs")).to_contain_text("reading:ch4-1101-t#")
    page.screenshot(path=screenshots / "alerts-raised.png")
    detail.get_by_label("False alarm").check()
    detail.get_by_label("Note (optional)").fill("sensor under calibration")
    detail.get_by_role("button", name="Acknowledge").click()
    expect(row).to_have_attribute("data-state", "acknowledged")
    expect(detail.get_by_role("button", name="Acknowledge")).to_have_count(0)
    alert_id = row.get_attribute("data-alert-id")
    history = mine.http.get(f"/api/v1/alerts/{alert_id}/history").json()
    assert history[-1]["detail"] == {"reason": "false_alarm", "note": "sensor under calibration"}
    page.screenshot(path=screenshots / "alerts-acknowledged.png")


def test_each_role_is_offered_only_what_the_api_allows(browser, mine: Mine) -> None:
    post_readings(mine, methane_rise("ch4-1102-t"))
    offered = {}
    for role in ("operator", "supervisor"):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(15_000)
        page = context.new_page()
        as_role(page, mine, role)
        expect(page.locator("#user")).to_contain_text(USERS[role]["username"])
        row = alert_row(page, "face_1102")
        row.get_by_role("button").click()
        detail = page.locator("#alert-detail")
        expect(detail.get_by_role("button", name="Acknowledge")).to_be_visible()
        offered[role] = detail.get_by_role("button", name="Resolve (clear)").count()
        context.close()
    # operators may acknowledge but not resolve (the API answers 403); supervisors may do both
    assert offered == {"operator": 0, "supervisor": 1}


def test_a_refused_action_shows_the_api_message_and_changes_nothing(page: Page, mine: Mine) -> None:
    post_readings(mine, methane_rise("ch4-return"))
    as_role(page, mine, "supervisor")
    row = alert_row(page, "return_airway")
    row.get_by_role("button").click()
    detail = page.locator("#alert-detail")
    detail.get_by_label("Resolution").fill("ok")  # the API wants at least 3 characters
    detail.get_by_role("button", name="Resolve (clear)").click()
    expect(detail.locator(".resolve-form .error")).to_contain_text("resolution")
    expect(row).to_have_attribute("data-state", "raised")


def test_alert_shows_the_camera_snapshot(page: Page, mine: Mine, screenshots) -> None:
    log_in(page, mine, *mine.admin)
    snapshot = mine.http.post("/api/v1/evidence", content=JPEG, headers=mine.gateway).json()
    t0 = datetime.now(UTC) - timedelta(seconds=5)
    readings = [
        {"device_id": "ch4-1101-t", "kind": "methane", "seq": 100 + i, "unit": "%", "value": 1.2}
        | {"t": (t0 + timedelta(seconds=i)).isoformat()}
        for i in range(3)
    ]
    post_readings(mine, readings)
    entry = {
        "source": "vision",
        "label": "restricted_entry",
        "t": (t0 + timedelta(seconds=2)).isoformat(),
        "device_id": "cam-face-gate-1101",
        "zone_id": "face_1101",
        "event_id": "cam:entry:dashboard",
        "attributes": {"evidence": {"snapshot": snapshot["sha256"]}},
    }
    assert mine.http.post("/api/v1/events", json=[entry], headers=mine.gateway).json()["accepted"] == 1
    row = page.locator("#alert-list li.sev-emergency")
    expect(row).to_contain_text("Emergency")
    row.first.get_by_role("button").click()
    image = page.locator("#alert-detail img.snapshot")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 160
    page.screenshot(path=screenshots / "alerts-evidence.png")


@pytest.mark.parametrize("zones", [("pit_bottom", "main_roadway")])
def test_a_person_moves_on_the_map_after_a_tag_fix(page: Page, mine: Mine, screenshots, zones) -> None:
    graph = ZoneGraph.from_site(load_site())
    log_in(page, mine, *mine.admin)
    page.get_by_role("button", name="Mine map").click()
    expect(page.locator("#map .zone")).to_have_count(len(load_site().zones))
    dot = page.locator('#map [data-asset-id="miner-001"]')
    secret = {"X-Gateway-Secret": mine.gateway["X-Gateway-Secret"]}
    now = datetime.now(UTC)
    xs = []
    for i, zone in enumerate(zones):
        fix = tag_fix(zone, now - timedelta(seconds=10 - 5 * i), graph)
        sent = mine.http.post("/api/v1/gateways/gw-faces/readings", json={"readings": [fix]}, headers=secret)
        assert sent.status_code == 200, sent.text
        expect(dot).to_have_attribute("data-zone", zone)
        xs.append(float(dot.get_attribute("data-x")))
    assert xs[1] > xs[0]  # east along the main roadway
    dot.click()
    expect(page.locator("#map-detail")).to_contain_text("Li Wei")
    expect(page.locator("#map-detail")).to_contain_text(zones[-1])
    page.locator('#map [data-zone-id="face_1101"]').focus()
    page.keyboard.press("Enter")  # keyboard reaches the zones too
    expect(page.locator("#map-detail")).to_contain_text("Longwall face 1101")
    page.screenshot(path=screenshots / "map.png")


def test_log_out_returns_to_the_login_form(page: Page, mine: Mine) -> None:
    log_in(page, mine, *mine.admin)
    token = page.evaluate("sessionStorage.getItem('mineguard.token')")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Username")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('mineguard.token')") is None
    assert mine.http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
