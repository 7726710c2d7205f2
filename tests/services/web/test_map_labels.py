"""The mine map's labels in a real browser against a real service: at the whole-mine view ("Fit",
the sample mine is about 8:1 wide) the labels shown do not overlap one another and lie inside the
map; the ones without room are hidden, yet what they say stays on their marker (aria-label, title,
shown while hovered); zooming in shows more of them, at the same size on screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mineguard.mine.site import load_site
from service_inputs import methane_rise

from .conftest import Mine, log_in, require_browser

require_browser()
from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may be missing)

# a plausible quiet value per sensor kind of the sample site, so every sensor label carries a value
QUIET = {"methane": 0.3, "co": 3, "o2": 20.8, "temperature": 24, "wind_speed": 1.2, "dust": 2.1}
QUIET |= {"roof_pressure": 24.2, "vibration": 1.5, "bearing_temp": 45, "running": 1}
QUIET |= {"geophone_energy": 2400, "geophone_pulses": 310, "seismic_energy": 0}

LABELS = """(map) => {
  const view = map.getBoundingClientRect();
  return {
    view: [view.left, view.top, view.width, view.height],
    labels: [...map.querySelectorAll("text.label")].map((text) => {
      const box = text.getBoundingClientRect();
      const zone = text.closest(".zone-label")?.dataset.labelOf;
      const owner = zone ? map.querySelector(`.zone[data-zone-id="${zone}"]`) : text.closest(".marker");
      const glyph = zone ? null : owner.querySelector("path, rect, circle").getBoundingClientRect();
      return {
        key: text.closest(".marker").dataset.key,
        text: text.textContent,
        glyph: glyph && [glyph.left + glyph.width / 2, glyph.top + glyph.height / 2],
        shown: getComputedStyle(text).visibility !== "hidden",
        box: [box.left, box.top, box.width, box.height],
        owner: owner.getAttribute("aria-label"),
      };
    }),
  };
}"""


def quiet_readings(*, but: str) -> list[dict]:
    """One reading of every sensor of the sample site but ``but``, two minutes ago."""
    t = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    sensors = [d for d in load_site().devices if d.kind == "sensor" and d.id != but]
    return [
        {"device_id": d.id, "kind": d.sensor_kind, "seq": 1, "value": QUIET[d.sensor_kind], "unit": d.unit, "t": t}
        for d in sensors
    ]


def labels(page: Page) -> dict:
    return page.locator("#map").evaluate(LABELS)


def assert_laid_out(found: dict) -> list[dict]:
    """The labels shown: none overlaps another, all inside the map. Returns them."""
    x0, y0, width, height = found["view"]
    shown = [label for label in found["labels"] if label["shown"]]
    for label in shown:
        x, y, w, h = label["box"]
        assert w > 0 and h > 0, label
        assert x >= x0 - 0.5 and y >= y0 - 0.5 and x + w <= x0 + width + 0.5 and y + h <= y0 + height + 0.5, label
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = a["box"], b["box"]
            apart = ax + aw <= bx + 0.5 or bx + bw <= ax + 0.5 or ay + ah <= by + 0.5 or by + bh <= ay + 0.5
            assert apart, (a["text"], a["box"], b["text"], b["box"])
    return shown


def test_labels_never_overlap_and_zooming_in_shows_more(page: Page, mine: Mine, screenshots) -> None:
    readings = quiet_readings(but="ch4-1102-t") + methane_rise("ch4-1102-t")  # that one rises into an alert
    posted = mine.http.post("/api/v1/readings", json={"readings": readings})
    assert posted.status_code == 200 and not posted.json()["rejected"], posted.text
    log_in(page, mine, *mine.admin)
    page.get_by_role("button", name="Mine map").click()
    the_map = page.locator("#map")
    expect(the_map.locator('[data-device-id="ch4-1102-t"]')).to_have_attribute("data-level", "critical")
    expect(the_map.locator('[data-device-id="co-belt"] text')).to_have_text("✓ 3.00 ppm")
    page.get_by_role("button", name="Fit").click()

    fit = labels(page)
    shown = assert_laid_out(fit)
    hidden = [label for label in fit["labels"] if not label["shown"]]
    texts = {label["text"] for label in shown}
    assert "▲ 1.90 %" in texts  # the sensor in alert wins its place first
    assert {"Main shaft", "Refuge chamber 1", "Longwall face 1102"} <= texts  # the ways out; the zone in alert
    assert hidden, "at Fit the sample mine is too crowded for every label: this test would not test placement"
    for label in hidden:  # hiding hides nothing: the marker or zone still says it
        text = label["text"]
        words = text if text[0].isalnum() else text.split(" ", 1)[-1]  # a zone's name; "✓ 3.00 ppm" -> "3.00 ppm"
        assert words in label["owner"], label
    assert the_map.get_attribute("data-labels-shown") == str(len(shown))
    page.screenshot(path=screenshots / "map-labels-fit.png")

    a_hidden = the_map.locator(".sensor:has(text.label.off), .machine:has(text.label.off)").first
    a_hidden.locator("path, rect").first.hover()  # a hidden label shows while its marker is hovered
    expect(a_hidden.locator("text.label")).to_be_visible()

    size_at_fit = next(label["box"][3] for label in shown if label["text"] == "Main shaft")
    east = the_map.locator('[data-device-id="ch4-1101-t"] path').bounding_box()
    page.mouse.move(east["x"] + east["width"] / 2, east["y"] + east["height"] / 2)
    page.mouse.wheel(0, -500)  # zoom in on the crowded far east end (the faces)
    assert float(the_map.get_attribute("data-zoom")) > 3
    closer = labels(page)
    shown_closer = assert_laid_out(closer)
    x0, y0, width, height = closer["view"]
    in_view = {
        label["key"]
        for label in closer["labels"]
        if label["glyph"] and x0 <= label["glyph"][0] <= x0 + width and y0 <= label["glyph"][1] <= y0 + height
    }
    at_fit = {label["key"] for label in shown} & in_view
    zoomed = {label["key"] for label in shown_closer} & in_view
    assert at_fit < zoomed, (sorted(at_fit), sorted(zoomed))  # of the markers still in view, more are labelled
    heights = {round(label["box"][3]) for label in shown_closer if label["text"].isascii()}
    assert heights == {round(size_at_fit)}  # text keeps its size on screen: as readable zoomed in as at Fit
    page.screenshot(path=screenshots / "map-labels-zoomed.png")
