"""Prometheus metrics of one running service (``GET /metrics``), on a registry of its own.

Each app gets its own :class:`~prometheus_client.CollectorRegistry`, so two services in one process
(the tests) never share counts. Counters are fed where things happen
— :meth:`alert` by every alert change, :meth:`events` by ``POST /api/v1/events`` (camera health),
:meth:`timed` around model rounds, the request middleware
(:class:`~mineguard.services.observability.middleware.HttpMetrics`) — and what is already counted
elsewhere is read at scrape time: the readings and rejects of each ingest path (their
:class:`~mineguard.services.ingest.worker.IngestTotals`, :meth:`count_ingest`) and state such as the
ingest queue and the live stream's subscribers (:meth:`gauge`).

No label carries a person's name or any free text: labels are transports, reasons, severities,
rule ids, route templates, camera ids and model names, all bounded by the site file or the code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
MODEL_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0)


class ServiceMetrics:
    """The service's instruments; ``state`` (set once the runtime exists) feeds the scrape-time gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.alert_changes_total = Counter(
            "mineguard_alert_changes",
            "Alert changes (raised, updated, escalated, acknowledged, resolved), by severity",
            ["kind", "severity"],
            registry=r,
        )
        self.escalations_total = Counter(
            "mineguard_escalations", "Alerts escalated to the next rung, by severity", ["severity"], registry=r
        )
        self.alert_latency = Histogram(
            "mineguard_alert_latency_seconds",
            "From the triggering input's time to the alert being raised",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.requests_total = Counter(
            "mineguard_http_requests",
            "HTTP requests, by method, route and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "mineguard_http_request_seconds",
            "HTTP request time",
            ["method", "route"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.model_seconds = Histogram(
            "mineguard_model_seconds",
            "Time of one model round (inference)",
            ["model"],
            buckets=MODEL_BUCKETS,
            registry=r,
        )
        self.model_failures_total = Counter(
            "mineguard_model_failures",
            "Model failures: rounds that raised, calls answered by the fall-back (an error or NaN), versions that "
            "did not load",
            ["model"],
            registry=r,
        )
        self.camera_up = Gauge(
            "mineguard_camera_up", "1 streaming, 0 down (newest health report)", ["camera"], registry=r
        )
        self.camera_fps = Gauge(
            "mineguard_camera_fps", "Frames per second the camera box reports", ["camera"], registry=r
        )
        self.camera_dropped = Gauge(
            "mineguard_camera_frames_dropped",
            "Frames the camera box dropped (its running count)",
            ["camera"],
            registry=r,
        )
        self.vision_events_total = Counter(
            "mineguard_vision_events", "Vision events received, by camera", ["camera"], registry=r
        )
        self._state = _StateCollector()
        r.register(self._state)

    def count_ingest(self, transport: str, totals: Any) -> None:
        """Expose an ingest path's running totals (``accepted``, ``duplicates``, ``rejected`` by reason)."""
        self._state.totals[transport] = totals

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        """A gauge read at scrape time (``read`` returning None leaves it out of that scrape)."""
        self._state.gauges[name] = (help_text, read)

    # --- fed where things happen -----------------------------------------------------------------

    def alert(self, change: Any, now: datetime | None = None) -> None:
        """One :class:`~mineguard.services.alerts.book.AlertChange`."""
        alert = change.alert
        self.alert_changes_total.labels(change.kind, alert.severity).inc()
        if change.kind == "escalated":
            self.escalations_total.labels(alert.severity).inc()
        if change.kind == "raised" and alert.opened_at is not None:
            opened = alert.opened_at if alert.opened_at.tzinfo else alert.opened_at.replace(tzinfo=UTC)
            latency = ((now or datetime.now(UTC)) - opened).total_seconds()
            if math.isfinite(latency) and latency >= 0:  # an input stamped in the future says nothing about us
                self.alert_latency.observe(latency)

    def events(self, wires: list[dict[str, Any]]) -> None:
        """Stored source events: camera health (``system.camera_down``) and vision events per camera."""
        for wire in wires:
            camera = wire.get("device_id")
            if not isinstance(camera, str):
                continue
            if wire.get("source") == "vision":
                self.vision_events_total.labels(camera).inc()
            elif wire.get("source") == "system" and wire.get("label") == "camera_down":
                self.camera_up.labels(camera).set(0.0 if wire.get("value") else 1.0)
                attributes = wire.get("attributes") or {}
                for gauge, key in ((self.camera_fps, "fps"), (self.camera_dropped, "frames_dropped")):
                    value = attributes.get(key)
                    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                        gauge.labels(camera).set(float(value))

    @contextmanager
    def timed(self, model: str) -> Iterator[None]:
        """Time one model round; a round that raises is counted as a failure (and re-raised)."""
        start = time.perf_counter()
        try:
            yield
        except Exception:
            self.model_failures_total.labels(model).inc()
            raise
        finally:
            self.model_seconds.labels(model).observe(time.perf_counter() - start)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """What is read at scrape time: ingest totals per transport, and gauges the runtime registers."""

    def __init__(self) -> None:
        self.totals: dict[str, Any] = {}
        self.gauges: dict[str, tuple[str, Callable[[], float | None]]] = {}

    def describe(self):
        return []

    def collect(self):
        readings = CounterMetricFamily(
            "mineguard_readings", "Readings received, by transport and outcome", labels=["transport", "outcome"]
        )
        rejects = CounterMetricFamily(
            "mineguard_readings_rejected", "Readings refused, by transport and reason", labels=["transport", "reason"]
        )
        for transport, totals in list(self.totals.items()):
            rejected = _copy(totals.rejected)
            readings.add_metric([transport, "accepted"], totals.accepted)
            readings.add_metric([transport, "duplicate"], totals.duplicates)
            readings.add_metric([transport, "rejected"], sum(rejected.values()))
            for reason, n in sorted(rejected.items()):
                rejects.add_metric([transport, reason], n)
        yield readings
        yield rejects
        for name, (help_text, read) in list(self.gauges.items()):
            try:
                value = read()
            except Exception:  # a scrape never fails because one reading of state did
                value = None
            if value is not None and math.isfinite(value):
                yield GaugeMetricFamily(name, help_text, value=float(value))


def _copy(counter: Mapping[str, int]) -> dict[str, int]:
    """A snapshot of a counter another thread may be adding a key to."""
    for _ in range(5):
        try:
            return dict(counter)
        except RuntimeError:  # changed size during the copy
            continue
    return {}
