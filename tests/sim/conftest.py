"""A real service for the simulated mine to talk to (``tests/support/local_service.py``), and a
broker for the MQTT publisher (``tests/support/local_broker.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_broker import BrokerUnavailable, LocalBroker, local_broker
from local_service import Service, local_service


@pytest.fixture(autouse=True)
def audit_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINEGUARD_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("MINEGUARD_AUDIT_ANCHOR_FILE", str(tmp_path / "audit-anchors.jsonl"))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with local_service(tmp_path) as running:
        yield running


# the periodic rounds that raise alerts on the wall clock (headcount, risk, seismic, fusion), never inside a
# short run: its alerts are then only those of what it sent, and the summary and a later API read agree
QUIET_ROUNDS = {"headcount_check_s": 3600, "risk_check_s": 3600, "seismic_check_s": 3600, "fusion_check_s": 3600}


@pytest.fixture
def quiet_service(tmp_path: Path) -> Iterator[Service]:
    """The service with the wall-clock alert rounds pushed out of a short test's window."""
    with local_service(tmp_path, **QUIET_ROUNDS) as running:
        yield running


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    try:
        with local_broker() as running:
            yield running
    except BrokerUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def mqtt_service(tmp_path: Path, broker: LocalBroker) -> Iterator[Service]:
    """The service ingesting from ``broker`` (the MQTT transport)."""
    with local_service(tmp_path, mqtt_url=f"mqtt://{broker.host}:{broker.port}", mqtt_check="off") as running:
        yield running
