"""The control room live, in a real browser against a real service that ingests over MQTT from a
local Mosquitto: a reading published to the broker raises an alert on the page without a reload,
its escalation clock counts down, its evidence shows the rule, a readings chart and the similar
past incident the service attached, and it is acknowledged; the map colours sensors by level (with
icon and value), shows machines running or stopped, moves a person with their tag, pans and zooms;
and the main views are usable on a 1024 x 768 touch tablet."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_broker import BrokerUnavailable, local_broker
from mineguard.mine.graph import ZoneGraph
from mineguard.mine.site import load_site
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.warning.text_embedders import get_text_embedder
from mineguard.warning.text_index import IncidentIndex
from service_inputs import hand_made_incidents, methane_rise

from .conftest import Mine, log_in, require_browser, running_mine, tag_fix

require_browser()
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may be missing)

DOCS = Path(__file__).resolve().parents[3] / "docs"
INCIDENTS = {
    "Ignition or Explosion of Gas or Dust": "methane accumulated at the longwall face and ignited; power was not cut",
    "Fall of Roof or Back": "a slab of roof rock fell between the bolted rows",
}


@pytest.fixture(scope="module")
def broker() -> Iterator:
    try:
        with local_broker() as running:
            yield running
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def mine(tmp_path_factory: pytest.TempPathFactory, broker) -> Iterator[Mine]:
    """The service ingesting from the broker, with a (small, hand-made) similar-incident index."""
    folder = tmp_path_factory.mktemp("live")
    index = IncidentIndex.build(hand_made_incidents(INCIDENTS, dt.date(2011, 4, 5)), get_text_embedder("tfidf"))
    settings = {"mqtt_url": f"mqtt://{broker.host}:{broker.port}", "mqtt_check": "off"}
    with running_mine(folder, incident_index=index.save(folder / "incidents"), **settings) as running:
        yield running


@pytest.fixture(scope="module")
def sensors(broker, mine: Mine) -> Iterator:
    """Publish readings to the broker as a sensor gateway would: ``sensors(readings)``."""
    site_id = mine.http.get("/api/v1/health").json()["site"]
    client = MqttCommunicator(broker.host, broker.port, qos=1)
    client.start(timeout=10)

    def publish(readings: list[dict]) -> None:
        for reading in readings:
            client.publish(topic_for(site_id, reading["device_id"], reading["kind"]), json.dumps(reading).encode())
        assert client.wait_published(10)

    yield publish
    client.stop()


def seconds_left(text: str) -> int:
    """ "escalates in 2 min 05 s" -> 125."""
    found = re.search(r"escalates in (?:(\d+) min )?(\d+) s", text)
    assert found, text
    return int(found[1] or 0) * 60 + int(found[2])


def test_an_mqtt_reading_raises_an_alert_live_with_its_clock_and_evidence(
    page: Page, mine: Mine, sensors, screenshots
) -> None:
    log_in(page, mine, *mine.admin)
    row = page.locator("#alert-list li").filter(has_text="face_1101")
    expect(row).to_have_count(0)
    sensors(methane_rise("ch4-1101-t"))  # over MQTT: the page is not reloaded, the stream brings it
    expect(row).to_have_attribute("data-state", "raised")
    deadline = row.locator(".deadline")
    expect(deadline).to_contain_text("escalates in")
    first = seconds_left(deadline.inner_text())
    expect(deadline).not_to_have_text(deadline.inner_text())  # it ticks
    assert seconds_left(deadline.inner_text()) < first  # down

    row.get_by_role("button").click()
    detail = page.locator("#alert-detail")
    rule = detail.locator(".rule-fired")
    expect(rule).to_contain_text("methane.working_face")
    expect(rule).to_contain_text("critical ≥ 1.5")  # the levels, from the rule's own evidence
    chart = detail.locator(".readings-around svg.chart")
    expect(chart).to_have_attribute("data-points", "16")  # every reading from 5 min before it opened
    expect(chart.locator(".threshold-critical line")).to_have_count(1)
    expect(detail.locator(".similar li").first).to_contain_text("Ignition or Explosion of Gas or Dust")
    chart.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "alert-evidence-live.png")

    detail.get_by_label("True alarm").check()
    detail.get_by_role("button", name="Acknowledge").click()
    expect(row).to_have_attribute("data-state", "acknowledged")
    expect(row.locator(".deadline")).to_have_count(0)  # acknowledged: no clock runs any more


def test_the_map_is_live_and_pans_and_zooms(page: Page, mine: Mine, sensors, screenshots) -> None:
    log_in(page, mine, *mine.admin)
    page.get_by_role("button", name="Mine map").click()
    the_map = page.locator("#map")
    co, gas = the_map.locator('[data-device-id="co-belt"]'), the_map.locator('[data-device-id="ch4-1102-t"]')
    belt = the_map.locator('[data-asset-id="belt-b1"]')
    expect(co).to_have_attribute("data-level", "none")
    expect(belt).to_have_attribute("data-run", "unknown")
    now = dt.datetime.now(dt.UTC)
    co_reading = {"device_id": "co-belt", "kind": "co", "seq": 1, "value": 3.0, "unit": "ppm", "t": now.isoformat()}
    run = {"device_id": "belt-b1-run", "kind": "running", "seq": 1, "value": 1, "unit": "state", "t": now.isoformat()}
    sensors([co_reading, run, *methane_rise("ch4-1102-t")])
    expect(co).to_have_attribute("data-level", "ok")
    expect(co.locator("text")).to_have_text("✓ 3.00 ppm")  # icon and value, not colour alone
    expect(belt.locator("text")).to_have_text("▶ running")
    expect(gas).to_have_attribute("data-level", "critical")  # the open alert that cites its reading
    expect(gas.locator("text")).to_contain_text("▲")

    graph, person = ZoneGraph.from_site(load_site()), the_map.locator('[data-asset-id="miner-001"]')
    secret = {"X-Gateway-Secret": mine.gateway["X-Gateway-Secret"]}
    for i, zone in enumerate(("pit_bottom", "main_roadway")):
        fix = tag_fix(zone, now + dt.timedelta(seconds=i - 5), graph)
        sent = mine.http.post("/api/v1/gateways/gw-faces/readings", json={"readings": [fix]}, headers=secret)
        assert sent.status_code == 200, sent.text
        expect(person).to_have_attribute("data-zone", zone)
    person.click()
    expect(page.locator("#map-detail")).to_contain_text("Li Wei")
    expect(page.locator("#map-detail .fixes li")).to_have_count(2)  # its history from the API

    whole = the_map.get_attribute("viewBox")
    page.get_by_role("button", name="Zoom in").click()
    expect(the_map).to_have_attribute("data-zoom", "1.40")
    box = the_map.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)  # zoom in around the pointer
    assert float(the_map.get_attribute("data-zoom")) > 1.4
    before = the_map.get_attribute("viewBox")
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    assert float(the_map.get_attribute("viewBox").split()[0]) > float(before.split()[0])  # dragged left: east comes in
    the_map.focus()
    page.keyboard.press("0")  # the keyboard fits the whole mine again
    expect(the_map).to_have_attribute("viewBox", whole)
    gas.locator("path").click()  # its glyph: the label beside it may be hidden or on either side
    expect(page.locator("#map-detail svg.chart")).to_be_visible()  # the sensor's last 10 minutes
    near = gas.locator("path").bounding_box()
    page.mouse.move(near["x"] + 40, near["y"])
    page.mouse.wheel(0, -300)  # closer to the faces for the picture
    page.screenshot(path=screenshots / "map-live.png")
    shutil.copyfile(screenshots / "map-live.png", DOCS / "dashboard-map.png")


def test_a_tablet_can_use_the_main_views(browser, mine: Mine, sensors, screenshots) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sensors(methane_rise("ch4-return"))
        log_in(page, mine, *mine.admin)
        wider = "(n) => n.scrollWidth > n.clientWidth + 1"
        assert not page.locator("nav").evaluate(wider) and not page.locator("html").evaluate(wider)
        row = page.locator("#alert-list li").filter(has_text="return_airway")
        expect(row).to_be_visible()
        title = row.locator(".title").bounding_box()
        assert title["x"] >= 0 and title["x"] + title["width"] <= 1024 and title["width"] > 150  # readable
        page.screenshot(path=screenshots / "tablet-alerts.png")
        for view in ("Mine map", "People", "Cameras"):
            page.get_by_role("button", name=view).tap()
            expect(page.get_by_role("button", name=view)).to_have_attribute("aria-current", "page")
            assert not page.locator("html").evaluate(wider), view
        page.get_by_role("button", name="Mine map").tap()
        page.get_by_role("button", name="Zoom in").tap()
        expect(page.locator("#map")).to_have_attribute("data-zoom", "1.40")
        page.screenshot(path=screenshots / "tablet-map.png")
    finally:
        context.close()
    assert not errors
