"""The zone graph of the sample mine: locating points, routes, points along centre lines."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mineguard.mine.graph import ZoneGraph, ZoneShape
from mineguard.mine.site import load_site

SITE = load_site()
GRAPH = ZoneGraph.from_site(SITE)


@pytest.mark.parametrize("zone_id", [zone.id for zone in SITE.zones])
def test_middle_of_each_centre_line_locates_to_its_zone(zone_id: str) -> None:
    assert GRAPH.locate(*GRAPH.point_along(zone_id, 0.5)) == zone_id


@pytest.mark.parametrize(
    ("xyz", "zone_id"),
    [
        ((-15, 0, 0), "surface_gate"),
        ((0, 0, -200), "main_shaft"),
        ((0, 2, -200), "main_shaft"),  # off the centre line, inside the 3.65 m radius
        ((250, 0, -400), "main_roadway"),
        ((250, 2.9, -400), "main_roadway"),  # radius of a 16 m2 section: 2 + 1 = 3 m
        ((250, 3.1, -400), None),
        ((400, 12, -400), "refuge_1"),
        ((250, 40, -400.5), "belt_roadway"),
        ((540, -10, -401.5), "face_1102"),
        ((300, -60, -401), "return_airway"),
        ((395, 100, -400), None),  # 60 m north of the belt roadway
        ((0, 0, 100), None),  # 100 m above the shaft top
        ((400, 0, -500), None),  # 100 m below the main roadway
    ],
)
def test_locate_known_points(xyz: tuple[float, float, float], zone_id: str | None) -> None:
    assert GRAPH.locate(*xyz) == zone_id


@pytest.mark.parametrize(
    ("xyz", "zone_id"),
    [
        ((2, 0, -399.5), "pit_bottom"),  # 2 m from the shaft's line, 0.5 m from the pit bottom's
        ((0.5, 0, -398), "main_shaft"),  # 0.5 m from the shaft's line, 2 m from the pit bottom's
        ((761, 0, -402), "face_gate_1101"),  # 1 m past the main roadway's end
        ((759, 0, -402), "main_roadway"),  # 1 m before the gate's start
    ],
)
def test_at_a_junction_the_nearest_centre_line_wins(xyz: tuple[float, float, float], zone_id: str) -> None:
    assert GRAPH.locate(*xyz) == zone_id


def test_route_is_fewest_hops() -> None:
    # via the belt roadway (4 hops), not the main roadway and the face gate (5 hops)
    assert GRAPH.route("surface_gate", "face_1101") == [
        "surface_gate",
        "main_shaft",
        "pit_bottom",
        "belt_roadway",
        "face_1101",
    ]
    assert GRAPH.route("face_1101", "surface_gate") == [
        "face_1101",
        "belt_roadway",
        "pit_bottom",
        "main_shaft",
        "surface_gate",
    ]
    assert GRAPH.route("surface_gate", "refuge_1") == [
        "surface_gate",
        "main_shaft",
        "pit_bottom",
        "main_roadway",
        "refuge_1",
    ]
    assert GRAPH.route("face_1102", "face_1102") == ["face_1102"]
    assert len(GRAPH.route("refuge_1", "return_airway")) == 4  # refuge, main roadway, a face, return


def test_every_zone_is_reachable_from_the_surface() -> None:
    for zone in SITE.zones:
        route = GRAPH.route("surface_gate", zone.id)
        assert route[0] == "surface_gate" and route[-1] == zone.id
        for a, b in itertools.pairwise(route):
            assert b in GRAPH.neighbours[a]


@pytest.mark.parametrize(("start", "goal"), [("stope_9", "face_1101"), ("surface_gate", "stope_9")])
def test_route_unknown_zone_raises_key_error(start: str, goal: str) -> None:
    with pytest.raises(KeyError, match=r"unknown zone 'stope_9' — known: belt_roadway, face_1101"):
        GRAPH.route(start, goal)


def _line(zone_id: str, *points: tuple[float, float, float], radius: float = 1.0) -> ZoneShape:
    return ZoneShape(zone_id, np.asarray(points, dtype=float), radius)


def test_disconnected_graph_raises_value_error() -> None:
    graph = ZoneGraph(
        [_line("a", (0, 0, 0), (10, 0, 0)), _line("b", (0, 50, 0), (10, 50, 0)), _line("c", (10, 0, 0), (20, 0, 0))],
        [("a", "c")],
    )
    assert graph.route("a", "c") == ["a", "c"]
    with pytest.raises(ValueError, match=r"no route from 'a' to 'b' — check the site's links"):
        graph.route("a", "b")


# Two segments: 5 m in the x-y plane (3-4-5), then 10 m down.
BENT = ZoneGraph([_line("bent", (0, 0, 0), (3, 4, 0), (3, 4, -10))])


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.0, (0, 0, 0)),
        (1.0, (3, 4, -10)),
        (0.5, (3, 4, -2.5)),  # 7.5 m along: 2.5 m into the second segment
        (1 / 3, (3, 4, 0)),  # exactly at the bend
        (0.2, (1.8, 2.4, 0)),  # 3 m along the first segment
        (-0.5, (0, 0, 0)),  # clipped
        (1.5, (3, 4, -10)),  # clipped
    ],
)
def test_point_along_known_answers(fraction: float, expected: tuple[float, float, float]) -> None:
    assert BENT.point_along("bent", fraction) == pytest.approx(expected, abs=1e-9)


def test_point_along_single_point_zone_and_locate_near_a_point() -> None:
    graph = ZoneGraph([_line("sump", (5, 5, -50), radius=2.0)])
    assert graph.point_along("sump", 0.7) == [5, 5, -50]
    assert graph.locate(6, 5, -50) == "sump"
    assert graph.locate(8, 5, -50) is None


def test_distances_to_agrees_with_distance_to() -> None:
    from mineguard.mine.site import load_site

    graph = ZoneGraph.from_site(load_site())
    points = np.random.default_rng(0).uniform([-50, -80, -420], [800, 60, 0], size=(40, 3))
    for zone_id in ("face_1101", "return_airway", "main_shaft"):
        expected = [graph.distance_to(zone_id, *p) for p in points]
        assert graph.distances_to(zone_id, points) == pytest.approx(expected, abs=1e-9)


def test_nearest_refuge_by_fewest_hops() -> None:
    graph = ZoneGraph.from_site(load_site())
    assert graph.nearest("face_1101", ["refuge_1"]) == ["face_1101", "face_gate_1101", "main_roadway", "refuge_1"]
    assert graph.nearest("refuge_1", ["refuge_1"]) == ["refuge_1"]
    assert graph.nearest("main_roadway", ["pit_bottom", "refuge_1"]) == [
        "main_roadway",
        "pit_bottom",
    ]  # tie: smaller id
    assert graph.nearest("face_1101", []) is None
    with pytest.raises(KeyError, match="unknown zone 'nowhere'"):
        graph.nearest("nowhere", ["refuge_1"])
