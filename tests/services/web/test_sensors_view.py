"""The sensors and audit views in a real browser against a real service: readings sent over HTTP as a
gateway appear on the chosen sensor's chart with its threshold lines, a spike is marked and listed as
flagged, a new reading arrives live; the audit log and its chain check for the super-manager, and
neither view offered to an operator; both reached with the keyboard alone."""

from __future__ import annotations

import math
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mineguard.warning.sensing.checks import BAD_FLAGS

from .conftest import USERS, Mine, as_role, log_in, require_browser

require_browser()
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may be missing)

DOCS = Path(__file__).resolve().parents[3] / "docs"
SENSORS_JS = Path(__file__).resolve().parents[3] / "src/mineguard/services/web/static/js/sensors.js"
SENSOR = "ch4-1102-t"  # methane at Longwall face 1102: warning at 1.0 % (the coal-mine rules)


def post_readings(mine: Mine, values: list[float], *, first_seq: int, end: datetime, step_s: float = 10.0) -> None:
    """``values`` of the sensor, ``step_s`` apart, the last at ``end``, sent over HTTP as the face gateway."""
    readings = [
        {"device_id": SENSOR, "kind": "methane", "seq": first_seq + i, "unit": "%", "value": value}
        | {"t": (end - timedelta(seconds=step_s * (len(values) - 1 - i))).isoformat()}
        for i, value in enumerate(values)
    ]
    response = mine.http.post("/api/v1/readings", json={"readings": readings}, headers=mine.gateway)
    assert response.status_code == 200 and response.json()["accepted"] == len(values), response.text


def tab_to(page: Page, selector: str, presses: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus (the keyboard alone, no click)."""
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_page_leaves_out_the_same_flags_as_the_models() -> None:
    listed = re.search(r"BAD_FLAGS = \[([^\]]*)\]", SENSORS_JS.read_text()).group(1)
    assert {name.strip(' "') for name in listed.split(",")} == {flag.name.lower() for flag in BAD_FLAGS}


def test_readings_sent_as_a_gateway_show_on_the_chart_flagged_and_live(page: Page, mine: Mine, screenshots) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    as_role(page, mine, "supervisor")
    tab_to(page, '#nav [data-view="sensors"]')
    page.keyboard.press("Enter")
    item = page.locator(f'#sensor-groups [data-sensor-id="{SENSOR}"]')
    expect(item).to_contain_text("No reading yet")
    expect(page.locator('#sensor-groups [data-zone-id="face_1102"] h3')).to_contain_text("Longwall face 1102")
    item.get_by_role("button").focus()
    page.keyboard.press("Enter")
    detail = page.locator("#sensor-detail")
    expect(detail.locator(".chart")).to_be_visible()

    now = datetime.now(UTC)
    rising = [round(0.50 + 0.011 * i + 0.008 * math.sin(1.7 * i), 2) for i in range(50)]  # past 1.0 % at the end
    rising[30] = 1.60  # a spike the live cleanser flags: shown, marked, left out of the cleansed line
    post_readings(mine, rising, first_seq=1, end=now - timedelta(seconds=10))
    expect(item).to_contain_text(f"{rising[-1]:g} %")  # the list follows the stream
    expect(item).to_have_attribute("data-level", "warning")
    expect(item).to_contain_text("Warning (≥ 1)")  # level in words and an icon, not colour alone
    expect(detail).to_contain_text("50 readings in the last 15 min, 1 left out of the cleansed series")
    warning = detail.locator('.threshold[data-threshold="1"]')
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Warning ≥ 1")
    expect(detail.locator('.series-raw .mark[data-mark="spike"]')).to_have_count(1)
    flagged = detail.locator("table.flagged tbody tr")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text("spike")
    expect(flagged).to_contain_text("left out")
    expect(detail.locator('[data-band="forecast"]')).to_be_visible()  # the trend model has 8 min of history
    expect(detail.locator(".forecast-note")).to_contain_text("trend model")
    expect(detail.locator(".forecast-note")).to_contain_text("80 % ")
    expect(detail.locator(".forecast-note")).to_contain_text("95 % ")
    expect(detail.locator("table.thresholds")).to_contain_text("methane.working_face")

    post_readings(mine, [1.06], first_seq=51, end=now)  # one more: the list and the chart follow, no reload
    expect(item).to_contain_text("1.06 %")
    expect(detail.locator(".level-now")).to_contain_text("1.06 %")
    expect(detail).to_contain_text("51 readings in the last 15 min, 1 left out of the cleansed series")
    page.screenshot(path=screenshots / "sensors.png")
    shutil.copyfile(screenshots / "sensors.png", DOCS / "dashboard-sensors.png")
    assert not errors


def test_audit_log_and_chain_for_the_super_manager_none_for_an_operator(page: Page, mine: Mine, screenshots) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, mine, *mine.admin)
    tab_to(page, '#nav [data-view="audit"]')
    page.keyboard.press("Enter")
    chain = page.locator("#audit-chain")
    expect(chain).to_have_attribute("data-chain", "intact")
    expect(chain).to_contain_text("Chain intact")
    rows = page.locator("#audit-rows tr")
    expect(rows.first).to_be_visible()
    seqs = [int(seq) for seq in rows.evaluate_all("(rows) => rows.map((row) => row.dataset.seq)")]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) >= 3  # newest first: users, gateway, tag pairing
    expect(page.locator("#audit-rows")).to_contain_text("user.created")
    page.screenshot(path=screenshots / "audit.png")

    page.get_by_role("button", name="Log out").click()
    as_role(page, mine, "operator")
    expect(page.locator('#nav [data-view="alerts"]')).to_be_visible()
    expect(page.locator('#nav [data-view="audit"]')).to_be_hidden()  # the API refuses it: not offered
    expect(page.locator('#nav [data-view="sensors"]')).to_be_hidden()
    operator = mine.http.post("/api/v1/auth/token", json={k: USERS["operator"][k] for k in ("username", "password")})
    bearer = {"Authorization": f"Bearer {operator.json()['access_token']}"}
    assert mine.http.get("/api/v1/audit", headers=bearer).status_code == 403  # what the page did not offer
    assert not errors
