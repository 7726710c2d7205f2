"""GET /api/v1/rescue-list, its CSV and its PDF: who is underground now, per role and scope, audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from mineguard.mine.site import load_site
from mineguard.services.api.routes.rescue import CSV_COLUMNS
from mineguard.services.ingest.events import store_events
from mineguard.services.iot.tags import apply_tag_reading, pair_tag
from mineguard.services.storage.models import Site
from mineguard.services.storage.types import utc_now

ROADWAY, FACE, GATE = (300.0, 0.0, -400.0), (790.0, 0.0, -404.0), (-15.0, 0.0, 0.0)


def _underground(api) -> None:
    """miner-001 (crew-a) and miner-004 (crew-b) in at the gate and tracked below; miner-002 in and
    out again; miner-003 (crew-a) has a tag below and never passed the gate."""
    ctx, now = api.client.app.state.ctx, utc_now()
    minutes = lambda m: now - timedelta(minutes=m)  # noqa: E731
    passages = [("miner-001", "in", 30), ("miner-004", "in", 25), ("miner-002", "in", 20), ("miner-002", "out", 10)]
    fixes = [("6901234500011", ROADWAY, 20), ("6901234500042", FACE, 15), ("6901234500035", ROADWAY, 5)]
    fixes += [("6901234500028", GATE, 9)]
    with ctx.sessions() as session, session.begin():
        for barcode, person in (("6901234500011", "miner-001"), ("6901234500028", "miner-002")):
            pair_tag(session, barcode, person, actor="test")
        for barcode, person in (("6901234500035", "miner-003"), ("6901234500042", "miner-004")):
            pair_tag(session, barcode, person, actor="test")
        events = [
            {
                "source": "face",
                "label": "identified",
                "t": minutes(m).isoformat(),
                "device_id": "cam-surface-gate",
                "asset_id": person,
                "event_id": f"{person}-{direction}",
                "attributes": {"direction": direction},
            }
            for person, direction, m in passages
        ]
        report = store_events(session, events, source="test", now=now)
        assert len(report.accepted) == len(events), report.rejected
        site = session.get(Site, ctx.site_id)
        for barcode, xyz, m in fixes:
            apply_tag_reading(
                session, ctx.graph, site, gateway_id="gw-pit-bottom", barcode=barcode, t=minutes(m), xyz=xyz
            )


def test_manager_sees_everyone_underground_by_zone_with_the_nearest_refuge(api) -> None:
    _underground(api)
    response = api.call("manager", "GET", "/api/v1/rescue-list")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["hidden"]) == (3, 0)
    assert [(p["zone_id"], p["person_id"]) for p in body["people"]] == [
        ("face_1101", "miner-004"),
        ("main_roadway", "miner-001"),
        ("main_roadway", "miner-003"),
    ]
    assert {z["zone_id"]: z["count"] for z in body["zones"]} == {"face_1101": 1, "main_roadway": 2}
    by_id = {p["person_id"]: p for p in body["people"]}
    assert by_id["miner-001"]["refuge"] == {
        "zone_id": "refuge_1",
        "name": "Refuge chamber 1",
        "route": ["main_roadway", "refuge_1"],
        "hops": 1,
    }
    assert by_id["miner-004"]["refuge"]["route"] == ["face_1101", "face_gate_1101", "main_roadway", "refuge_1"]
    assert by_id["miner-001"]["name"] == "Li Wei" and by_id["miner-001"]["position"] == list(ROADWAY)
    assert "no_gate_passage" in by_id["miner-003"]["mismatches"]


def test_supervisor_sees_their_crew_by_name_and_counts_the_others(api) -> None:
    _underground(api)
    body = api.call("supervisor", "GET", "/api/v1/rescue-list").json()
    named = [p["person_id"] for p in body["people"] if p["person_id"]]
    assert named == ["miner-001", "miner-003"] and (body["total"], body["hidden"]) == (3, 1)
    [hidden] = [p for p in body["people"] if p["person_id"] is None]
    assert hidden["zone_id"] == "face_1101" and hidden["refuge"]["zone_id"] == "refuge_1"
    assert (hidden["name"], hidden["crew"], hidden["position"], hidden["mismatches"]) == (None, None, None, [])


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("operator", 403)])
def test_operators_and_strangers_may_not_read_it(api, role: str | None, status: int) -> None:
    for path in ("/api/v1/rescue-list", "/api/v1/rescue-list.csv"):
        response = api.call(role, "GET", path)
        assert response.status_code == status, response.text
        assert response.json()["error"]["message"]


def test_every_view_is_audited_with_who_and_what_it_showed(api) -> None:
    _underground(api)
    api.call("supervisor", "GET", "/api/v1/rescue-list")
    api.call("manager", "GET", "/api/v1/rescue-list.csv?zone=main_roadway")
    entries = api.call("manager", "GET", "/api/v1/audit?action=rescue_list.viewed").json()
    seen = sorted((e["actor"], e["payload"]["format"], e["payload"]["zone"], e["payload"]["total"]) for e in entries)
    assert seen == [("mgr", "csv", "main_roadway", 2), ("sup-a", "json", None, 3)]
    supervisor = next(e for e in entries if e["actor"] == "sup-a")
    assert supervisor["payload"]["named"] == ["miner-001", "miner-003"]
    assert api.call("manager", "GET", "/api/v1/audit/verify").json()["ok"]


def test_csv_has_one_row_per_person_underground(api) -> None:
    _underground(api)
    response = api.call("supervisor", "GET", "/api/v1/rescue-list.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="rescue-list-' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == CSV_COLUMNS and len(rows) == 4
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["zone_id"], r["person_id"], r["name"]) for r in records] == [
        ("face_1101", "", "(not in your scope)"),
        ("main_roadway", "miner-001", "Li Wei"),
        ("main_roadway", "miner-003", "Wang Fang"),
    ]
    li = records[1]
    assert (li["x"], li["y"], li["z"], li["refuge_id"], li["refuge_hops"]) == (
        "300.0",
        "0.0",
        "-400.0",
        "refuge_1",
        "1",
    )
    assert li["refuge_route"] == "main_roadway refuge_1" and li["last_seen"].endswith("+00:00")


def test_nobody_underground_is_an_empty_list(api) -> None:
    body = api.call("manager", "GET", "/api/v1/rescue-list").json()
    assert (body["total"], body["people"], body["zones"]) == (0, [], [])
    assert api.call("manager", "GET", "/api/v1/rescue-list.csv").text == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("zone=nowhere", 404, "zone 'nowhere' does not exist"),
        ("zone=../etc", 422, "zone"),
        ("zone=" + "z" * 65, 422, "zone"),
        ("zone=", 422, "zone"),
        ("zone=%00", 422, "zone"),
    ],
)
def test_bad_query_parameters_are_clear_4xx(api, query: str, status: int, says: str) -> None:
    for path in ("/api/v1/rescue-list", "/api/v1/rescue-list.csv"):
        response = api.call("manager", "GET", f"{path}?{query}")
        assert response.status_code == status, response.text
        assert says in response.text


def test_a_site_without_headcount_answers_409(api) -> None:
    ctx = api.client.app.state.ctx
    with ctx.sessions() as session, session.begin():
        row = session.get(Site, ctx.site_id)
        row.config = {k: v for k, v in load_site().model_dump(mode="json").items() if k != "headcount"}
    response = api.call("manager", "GET", "/api/v1/rescue-list")
    assert response.status_code == 409 and "headcount:" in response.json()["error"]["message"]


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert re.search(r'attachment; filename="rescue-list-\d{8}T\d{6}Z\.pdf"', response.headers["content-disposition"])
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4 portrait, points
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # wrapped cells: one space


def test_pdf_names_whom_the_role_may_see_like_the_csv(api) -> None:
    _underground(api)
    manager = _pdf_text(api.call("manager", "GET", "/api/v1/rescue-list.pdf"))
    assert "Rescue list" in manager and "3 people underground" in manager
    for shown in ("Li Wei (miner-001)", "Wang Fang (miner-003)", "miner-004", "Refuge chamber 1", "300.0, 0.0, -400.0"):
        assert shown in manager
    assert "no gate passage" in manager and "not in your scope" not in manager
    supervisor = _pdf_text(api.call("supervisor", "GET", "/api/v1/rescue-list.pdf"))
    assert "Li Wei (miner-001)" in supervisor and "Wang Fang (miner-003)" in supervisor
    assert "miner-004" not in supervisor and "(not in your scope)" in supervisor
    assert "1 not in your scope" in supervisor


def test_pdf_of_one_zone_and_of_nobody(api) -> None:
    assert "Nobody is underground." in _pdf_text(api.call("manager", "GET", "/api/v1/rescue-list.pdf"))
    _underground(api)
    text = _pdf_text(api.call("manager", "GET", "/api/v1/rescue-list.pdf?zone=face_1101"))
    assert "miner-004" in text and "miner-001" not in text and "zone face_1101 only" in text


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("operator", 403)])
def test_pdf_is_refused_like_the_csv(api, role: str | None, status: int) -> None:
    response = api.call(role, "GET", "/api/v1/rescue-list.pdf")
    assert response.status_code == status and response.json()["error"]["message"]


def test_every_pdf_view_is_audited(api) -> None:
    _underground(api)
    api.call("supervisor", "GET", "/api/v1/rescue-list.pdf")
    api.call("manager", "GET", "/api/v1/rescue-list.pdf?zone=main_roadway")
    entries = api.call("manager", "GET", "/api/v1/audit?action=rescue_list.viewed").json()
    seen = sorted((e["actor"], e["payload"]["format"], e["payload"]["zone"], e["payload"]["named"]) for e in entries)
    assert seen == [
        ("mgr", "pdf", "main_roadway", ["miner-001", "miner-003"]),
        ("sup-a", "pdf", None, ["miner-001", "miner-003"]),
    ]
    assert api.call("manager", "GET", "/api/v1/audit/verify").json()["ok"]
