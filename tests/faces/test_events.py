"""A recognised face as a platform event: the wire dict, with the gate direction for the headcount."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mineguard.faces.events import face_event
from mineguard.faces.identify import Identification
from mineguard.services.ingest.events import EventIn

T = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("direction", ["in", "out"])
def test_a_gate_passage_carries_its_direction_and_is_a_valid_event(direction: str) -> None:
    event = face_event(
        Identification("miner-001", 0.91, "miner-001"), t=T, device_id="cam-surface-gate", direction=direction
    )
    assert event["label"] == "identified" and event["asset_id"] == "miner-001"
    assert event["attributes"]["direction"] == direction
    assert EventIn.model_validate(event).signal_key == "face.identified"


def test_without_a_direction_there_is_none_and_a_wrong_one_is_refused() -> None:
    assert "direction" not in face_event(Identification(None, 0.2, "miner-002"), t=T)["attributes"]
    with pytest.raises(ValueError, match="use 'in'"):
        face_event(Identification("miner-001", 0.9, "miner-001"), t=T, direction="down")
