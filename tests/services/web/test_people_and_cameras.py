"""The people and cameras views in a real browser against a real service: who is underground (set up
through the API: a face passage in at the gate, tag fixes below), the rescue list's CSV and PDF, the
headcount alerts on top, what an operator is refused; a camera's health and latest snapshot."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from pypdf import PdfReader

from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import load_site

from .conftest import Mine, as_role, require_browser, running_mine, tag_fix

require_browser()
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may be missing)

DOCS = Path(__file__).resolve().parents[3] / "docs"
JPEG = cv2.imencode(".jpg", np.full((120, 160, 3), (60, 140, 90), np.uint8))[1].tobytes()
WANG_FANG_TAG, CHEN_JIE_TAG = "6901234500035", "6901234500042"  # miner-003 (crew-a), miner-004 (crew-b)


@pytest.fixture(scope="module")
def mine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mine]:
    """The service with a headcount round every second, so its alerts come within a test's patience."""
    with running_mine(tmp_path_factory.mktemp("people"), headcount_check_s=1.0) as running:
        yield running


def post_events(mine: Mine, events: list[dict]) -> None:
    response = mine.http.post("/api/v1/events", json=events, headers=mine.gateway)
    assert response.status_code == 200 and response.json()["accepted"] == len(events), response.text


def send_fix(mine: Mine, fix: dict) -> None:
    secret = {"X-Gateway-Secret": mine.gateway["X-Gateway-Secret"]}
    sent = mine.http.post("/api/v1/gateways/gw-faces/readings", json={"readings": [fix]}, headers=secret)
    assert sent.status_code == 200, sent.text


@pytest.fixture(scope="module")
def underground(mine: Mine) -> None:
    """Li Wei (crew-a) in at the gate and tracked on the main roadway; Wang Fang (crew-a) tagged below
    without a gate passage (a headcount alert); Chen Jie (crew-b, outside sup-a's scope) tagged below;
    Zhang Min (crew-a, day shift 06:00-14:00) went in at 10:00 yesterday and never came out: not
    accounted for (and no tag: a second alert, which must come after it)."""
    site = load_site()
    graph, now = ZoneGraph.from_site(site), datetime.now(UTC)
    local_now = now.astimezone(ZoneInfo(site.timezone))
    yesterday_10 = (local_now - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    for barcode, person in ((WANG_FANG_TAG, "miner-003"), (CHEN_JIE_TAG, "miner-004")):
        paired = mine.http.post("/api/v1/tags/pair", json={"barcode": barcode, "asset_id": person, "force": True})
        assert paired.status_code == 200, paired.text
    gate_in = {"source": "face", "label": "identified", "device_id": "cam-surface-gate", "asset_id": "miner-001"}
    gate_in |= {"attributes": {"direction": "in"}}
    post_events(mine, [gate_in | {"t": (now - timedelta(seconds=60)).isoformat(), "event_id": "li-wei-in"}])
    zhang_min = gate_in | {"asset_id": "miner-002", "t": yesterday_10.isoformat(), "event_id": "zhang-min-in"}
    post_events(mine, [zhang_min])
    send_fix(mine, tag_fix("main_roadway", now - timedelta(seconds=30), graph))
    send_fix(mine, tag_fix("face_1101", now - timedelta(seconds=20), graph, WANG_FANG_TAG))
    send_fix(mine, tag_fix("belt_roadway", now - timedelta(seconds=10), graph, CHEN_JIE_TAG))


def open_view(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def test_supervisor_sees_who_is_underground_and_exports_the_csv(
    page: Page, mine: Mine, underground, screenshots
) -> None:
    as_role(page, mine, "supervisor")
    open_view(page, "People")
    li_wei = page.locator('#rescue-rows tr[data-person-id="miner-001"]')
    expect(li_wei).to_contain_text("Li Wei")
    expect(li_wei).to_contain_text("Main roadway")
    expect(li_wei).to_contain_text("Refuge chamber 1 (1 hop)")
    expect(page.locator('#rescue-rows tr[data-person-id=""]')).to_contain_text("hidden")  # Chen Jie, crew-b
    expect(page.locator('#zone-counts [data-zone-id="main_roadway"]')).to_contain_text("1")
    expect(page.locator("#people-total")).to_contain_text("4 underground, 1 not in your scope")
    alerts = page.locator("#people-alerts li")
    expect(alerts).to_have_count(3)  # the 1 s headcount round: Zhang Min twice, Wang Fang
    expect(alerts.first).to_have_attribute("data-rule", "headcount.not_accounted_for")  # on top
    expect(alerts.first).to_contain_text("Miner not accounted for: Zhang Min")
    expect(alerts.nth(1)).to_have_attribute("data-rule", "headcount.no_tag")
    alert = page.locator('#people-alerts [data-rule="headcount.no_gate_passage"]')
    expect(alert).to_contain_text("Warning")  # in words (and an icon), not colour alone
    expect(alert).to_contain_text("Wang Fang")
    page.screenshot(path=screenshots / "people.png")
    shutil.copyfile(screenshots / "people.png", DOCS / "dashboard-people.png")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert re.fullmatch(r"rescue-list-\d{8}T\d{6}Z\.csv", download.value.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {row["person_id"]: row["name"] for row in rows} == {
        "miner-001": "Li Wei",
        "miner-002": "Zhang Min",
        "miner-003": "Wang Fang",
        "": "(not in your scope)",
    }
    with page.expect_download() as download:
        page.get_by_role("button", name="Export PDF").click()
    assert re.fullmatch(r"rescue-list-\d{8}T\d{6}Z\.pdf", download.value.suggested_filename)
    text = " ".join(page_text for page_text in (p.extract_text() for p in PdfReader(download.value.path()).pages))
    assert "Li Wei (miner-001)" in text and "(not in your scope)" in text and "miner-004" not in text
    viewed = mine.http.get("/api/v1/audit", params={"action": "rescue_list.viewed"})
    assert viewed.status_code == 200, viewed.text
    assert {entry["payload"]["format"] for entry in viewed.json() if entry["actor"] == "sup-a"} == {
        "json",
        "csv",
        "pdf",
    }

    # a newer critical headcount alert (Li Wei out at the gate, his tag still below) comes after "not accounted for"
    now = datetime.now(UTC)
    out = {"source": "face", "label": "identified", "device_id": "cam-surface-gate", "asset_id": "miner-001"}
    post_events(mine, [out | {"t": now.isoformat(), "event_id": "li-wei-out", "attributes": {"direction": "out"}}])
    send_fix(mine, tag_fix("main_roadway", now + timedelta(seconds=1), ZoneGraph.from_site(load_site())))
    expect(page.locator('#people-alerts [data-rule="headcount.tag_left_behind"]')).to_contain_text("Li Wei")
    expect(alerts.first).to_have_attribute("data-rule", "headcount.not_accounted_for")


def test_the_people_view_follows_a_gate_passage_out_live(page: Page, mine: Mine, underground) -> None:
    as_role(page, mine, "supervisor")
    open_view(page, "People")
    wang_fang = page.locator('#rescue-rows tr[data-person-id="miner-003"]')
    expect(wang_fang).to_contain_text("Wang Fang")
    now = datetime.now(UTC).isoformat()
    out = {"source": "face", "label": "identified", "device_id": "cam-surface-gate", "asset_id": "miner-003"}
    post_events(mine, [out | {"t": now, "event_id": "wang-fang-out", "attributes": {"direction": "out"}}])
    expect(wang_fang).to_have_count(0)  # no reload: the stream's event brought the change


def test_an_operator_is_not_offered_people_or_cameras(page: Page, mine: Mine, underground) -> None:
    as_role(page, mine, "operator")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_view(page, "People")
    expect(page.locator("#people-denied")).to_be_visible()
    expect(page.locator("#people-denied")).to_contain_text("not available for your role")
    expect(page.get_by_role("button", name="Export CSV")).to_have_count(0)
    expect(page.locator("#rescue-rows tr")).to_have_count(0)
    open_view(page, "Cameras")
    expect(page.locator("#cameras-denied")).to_contain_text("not available for your role")
    expect(page.locator("#camera-tiles li")).to_have_count(0)
    assert not [url for url in requests if "/rescue-list" in url or "/events" in url or "/devices" in url]


def test_cameras_show_health_and_the_latest_snapshot(page: Page, mine: Mine, screenshots) -> None:
    as_role(page, mine, "supervisor")
    open_view(page, "Cameras")
    tiles = page.locator("#camera-tiles li")
    expect(tiles).to_have_count(len([d for d in load_site().devices if d.kind == "camera"]))
    face = page.locator('#camera-tiles li[data-camera-id="cam-face-1101"]')
    expect(face).to_have_attribute("data-health", "unknown")
    now = datetime.now(UTC)
    down = {"source": "system", "label": "camera_down", "device_id": "cam-face-1101", "value": True}
    post_events(mine, [down | {"t": now.isoformat(), "event_id": "cam-face-1101:health:1"}])
    expect(face).to_have_attribute("data-health", "down")  # live, from the stream
    expect(face.locator(".health")).to_contain_text("Down")  # in words (and an icon), not colour alone

    snapshot = mine.http.post("/api/v1/evidence", content=JPEG, headers=mine.gateway).json()
    sighting = {
        "source": "vision",
        "label": "no_helmet",
        "device_id": "cam-face-gate-1101",
        "zone_id": "face_gate_1101",
    }
    sighting |= {"t": now.isoformat(), "event_id": "cam:helmet:cameras-view"}
    post_events(mine, [sighting | {"attributes": {"evidence": {"snapshot": snapshot["sha256"]}}}])
    gate = page.locator('#camera-tiles li[data-camera-id="cam-face-gate-1101"]')
    image = gate.locator("img.snapshot")
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 160
    expect(gate.locator("figcaption")).to_contain_text("no helmet")
    page.screenshot(path=screenshots / "cameras-down.png")
    back_up = down | {
        "value": False,
        "t": (now + timedelta(seconds=1)).isoformat(),
        "event_id": "cam-face-1101:health:2",
    }
    post_events(mine, [back_up])
    expect(face).to_have_attribute("data-health", "streaming")
    expect(face.locator(".health")).to_contain_text("Streaming")
    page.screenshot(path=screenshots / "cameras.png")


def test_the_new_views_are_reached_by_keyboard(page: Page, mine: Mine) -> None:
    as_role(page, mine, "supervisor")
    page.get_by_role("button", name="People", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#view-people")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Cameras", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#view-cameras")).to_be_visible()
    expect(page.locator("#camera-tiles li").first).to_be_visible()
