"""A date's disturbed area as the platform event of the twin's area history: known fields, the time
the ground was seen, and an id that makes a re-posted date one stored event."""

from __future__ import annotations

from datetime import date

from mineguard.terrain.events import area_event


def test_an_area_event_is_placed_at_its_scene_date() -> None:
    event = area_event(date(2022, 10, 12), 19.87654, threshold=0.8, zone_id="pit", site_id="strzegom-quarry")
    assert event["source"] == "terrain" and event["label"] == "disturbed_area" and event["zone_id"] == "pit"
    assert event["t"] == "2022-10-12T00:00:00+00:00" and event["value"] == 19.8765
    assert event["attributes"] == {"hectares": 19.8765, "threshold": 0.8, "date": "2022-10-12"}
    again = area_event(date(2022, 10, 12), 20.0, threshold=0.8, zone_id="pit", site_id="strzegom-quarry")
    other = area_event(date(2022, 10, 12), 20.0, threshold=0.9, zone_id="pit", site_id="strzegom-quarry")
    assert again["event_id"] == event["event_id"] != other["event_id"]
