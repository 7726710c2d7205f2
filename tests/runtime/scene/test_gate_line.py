"""Direction at a check-in line: both ways, jitter on the line, a track that turns back."""

from __future__ import annotations

import pytest

from mineguard.runtime.scene.gate_line import GateLine, LineCrossing

LINE = GateLine((0.0, 200.0), (320.0, 200.0), (160.0, 390.0))  # below the line is underground


def walk(ys: list[float], hysteresis: float = 12.0) -> tuple[list[str | None], LineCrossing]:
    crossing = LineCrossing(LINE, hysteresis)
    return [crossing.update((160.0, y)) for y in ys], crossing


def test_signed_distance_is_positive_on_the_underground_side() -> None:
    assert LINE.signed_distance((10.0, 250.0)) == pytest.approx(50.0)
    assert LINE.signed_distance((10.0, 150.0)) == pytest.approx(-50.0)
    flipped = GateLine((320.0, 200.0), (0.0, 200.0), (160.0, 390.0))  # the ends' order does not matter
    assert flipped.signed_distance((10.0, 250.0)) == pytest.approx(50.0)


def test_going_down_is_in_and_coming_up_is_out() -> None:
    passages, crossing = walk([100, 150, 190, 210, 260, 300])
    assert [p for p in passages if p] == ["in"] and crossing.net == "in"
    passages, crossing = walk([300, 250, 205, 180, 120])
    assert [p for p in passages if p] == ["out"] and crossing.net == "out"


def test_jitter_on_the_line_counts_once() -> None:
    ys = [120, 150, 195, 205, 193, 207, 199, 211, 189, 240, 280]  # wobbles within 12 px of the line
    passages, crossing = walk(ys)
    assert [p for p in passages if p] == ["in"] and crossing.crossings == ["in"]
    passages, _ = walk(ys, hysteresis=0.0)  # without hysteresis the same wobble counts every swing
    assert len([p for p in passages if p]) > 1


def test_a_track_that_turns_back_has_no_net_passage() -> None:
    _, crossing = walk([120, 160, 230, 260, 230, 160, 120])
    assert crossing.crossings == ["in", "out"] and crossing.net is None
    _, only_near = walk([195, 205, 198])
    assert only_near.net is None and only_near.crossings == []


def test_degenerate_lines_are_refused() -> None:
    with pytest.raises(ValueError, match="two equal ends"):
        GateLine((5.0, 5.0), (5.0, 5.0), (0.0, 100.0))
    with pytest.raises(ValueError, match="lies on the line"):
        GateLine((0.0, 0.0), (10.0, 0.0), (5.0, 0.0))
