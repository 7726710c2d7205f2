"""ServiceMetrics with known answers: alert counts and latency, camera health gauges, ingest totals read at
scrape time, model rounds timed and failures counted, and a scrape that survives a broken gauge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mineguard.services.ingest.store import IngestReport
from mineguard.services.ingest.validate import Rejection, RejectReason
from mineguard.services.ingest.worker import IngestTotals
from mineguard.services.observability.metrics import ServiceMetrics

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@dataclass
class _Alert:
    severity: str
    opened_at: datetime | None


@dataclass
class _Change:
    alert: _Alert
    kind: str


def samples(metrics: ServiceMetrics) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, parsed back from the text format: (name, sorted labels) -> value."""
    out = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_alert_changes_escalations_and_latency() -> None:
    m = ServiceMetrics()
    m.alert(_Change(_Alert("critical", NOW - timedelta(milliseconds=40)), "raised"), now=NOW)
    m.alert(_Change(_Alert("critical", NOW - timedelta(seconds=3)), "raised"), now=NOW)
    m.alert(_Change(_Alert("critical", NOW), "escalated"), now=NOW)
    m.alert(_Change(_Alert("warning", NOW + timedelta(hours=1)), "raised"), now=NOW)  # stamped in the future
    got = samples(m)
    assert got[("mineguard_alert_changes_total", (("kind", "raised"), ("severity", "critical")))] == 2
    assert got[("mineguard_alert_changes_total", (("kind", "raised"), ("severity", "warning")))] == 1
    assert got[("mineguard_escalations_total", (("severity", "critical"),))] == 1
    assert got[("mineguard_alert_latency_seconds_count", ())] == 2  # the future one says nothing about us
    assert got[("mineguard_alert_latency_seconds_bucket", (("le", "0.05"),))] == 1
    assert got[("mineguard_alert_latency_seconds_bucket", (("le", "5.0"),))] == 2
    assert got[("mineguard_alert_latency_seconds_sum", ())] == pytest.approx(3.04)


def test_naive_opened_at_is_read_as_utc() -> None:
    m = ServiceMetrics()
    m.alert(_Change(_Alert("warning", (NOW - timedelta(seconds=2)).replace(tzinfo=None)), "raised"), now=NOW)
    assert samples(m)[("mineguard_alert_latency_seconds_sum", ())] == pytest.approx(2.0)


def test_camera_health_and_vision_events() -> None:
    m = ServiceMetrics()
    m.events(
        [
            {
                "source": "system",
                "label": "camera_down",
                "device_id": "cam-a",
                "value": True,
                "attributes": {"frames_dropped": 12, "fps": 4.5},
            },
            {
                "source": "system",
                "label": "camera_down",
                "device_id": "cam-b",
                "value": False,
                "attributes": {"frames_dropped": float("nan"), "fps": "fast"},
            },  # hostile attributes: left out
            {"source": "vision", "label": "no_helmet", "device_id": "cam-b"},
            {"source": "vision", "label": "person", "device_id": "cam-b"},
            {"source": "vision", "label": "person", "device_id": 7},  # not a camera id: ignored
        ]
    )
    got = samples(m)
    assert got[("mineguard_camera_up", (("camera", "cam-a"),))] == 0
    assert got[("mineguard_camera_up", (("camera", "cam-b"),))] == 1
    assert got[("mineguard_camera_frames_dropped", (("camera", "cam-a"),))] == 12
    assert got[("mineguard_camera_fps", (("camera", "cam-a"),))] == 4.5
    assert ("mineguard_camera_fps", (("camera", "cam-b"),)) not in got
    assert got[("mineguard_vision_events_total", (("camera", "cam-b"),))] == 2


def test_ingest_totals_are_read_at_scrape_time() -> None:
    m = ServiceMetrics()
    totals = IngestTotals()
    m.count_ingest("mqtt", totals)
    assert samples(m)[("mineguard_readings_total", (("outcome", "accepted"), ("transport", "mqtt")))] == 0
    report = IngestReport(duplicates=2, rejections=[Rejection(0, RejectReason.MALFORMED_JSON, "not JSON")])
    totals.add(report, [Rejection(None, RejectReason.INVALID_SCHEMA, "bad topic")])
    totals.accepted += 5
    got = samples(m)
    assert got[("mineguard_readings_total", (("outcome", "accepted"), ("transport", "mqtt")))] == 5
    assert got[("mineguard_readings_total", (("outcome", "duplicate"), ("transport", "mqtt")))] == 2
    assert got[("mineguard_readings_total", (("outcome", "rejected"), ("transport", "mqtt")))] == 2
    reason = (("reason", RejectReason.MALFORMED_JSON.value), ("transport", "mqtt"))
    assert got[("mineguard_readings_rejected_total", reason)] == 1


def test_model_rounds_are_timed_and_failures_counted() -> None:
    m = ServiceMetrics()
    with m.timed("risk"):
        pass
    with pytest.raises(ZeroDivisionError), m.timed("risk"):
        1 / 0  # noqa: B018
    got = samples(m)
    assert got[("mineguard_model_seconds_count", (("model", "risk"),))] == 2
    assert got[("mineguard_model_failures_total", (("model", "risk"),))] == 1


def test_a_broken_gauge_is_left_out_of_the_scrape() -> None:
    m = ServiceMetrics()
    m.gauge("mineguard_good", "fine", lambda: 3)
    m.gauge("mineguard_broken", "raises", lambda: 1 / 0)
    m.gauge("mineguard_nan", "not a number", lambda: float("nan"))
    got = samples(m)
    assert got[("mineguard_good", ())] == 3
    assert ("mineguard_broken", ()) not in got and ("mineguard_nan", ()) not in got


def test_two_services_do_not_share_counts() -> None:
    a, b = ServiceMetrics(), ServiceMetrics()
    a.alert(_Change(_Alert("warning", NOW), "raised"), now=NOW)
    assert ("mineguard_alert_changes_total", (("kind", "raised"), ("severity", "warning"))) not in samples(b)
