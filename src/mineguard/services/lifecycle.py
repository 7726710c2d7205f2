"""The running service's background machinery, built, started and stopped in one place.

``create_app`` only wires: before anything runs it loads the :class:`Models` (an unknown risk
model name or a bad file or incident-index folder stops start-up there), and its lifespan builds
one :class:`ServiceRuntime` from the booted service, starts it and stops it. The runtime holds the
alert pipeline, the live cleanser (one, shared by the HTTP ingest route and the ingest worker), the
transport (in-process bus or MQTT), the ingest worker, the notifier dispatcher,
the MQTT broker start-up check and the tickers: the rules ``tick``, sensor health, ingest health,
the risk job, the seismic job (at shift ends), the multimodal job (``alerts/fusion_job.py``, with the active
``multimodal`` version only), the audit anchor, evidence retention and the headcount
(who is underground, shift ends).
The risk job judges with :attr:`ServiceRuntime.served` (``alerts/served_models.py``): the model
registry's active ``risk`` version, read each round (a promotion or rollback needs no restart), else
``Models.risk``; a broken model falls back to ``trend`` and raises a model-health alert.

Start: the broker check first (``strict`` raises before anything else has started or loaded), then
the notifier dispatcher, the API's refusal log, the ingest worker, the transport, the tickers.
Stop: the tickers; the transport (stop taking messages), then the ingest worker (store what is
buffered); the refusal log (write what is queued); the dispatcher (deliver what is queued).

(Named ``lifecycle``, not ``runtime``, so it is not confused with :mod:`mineguard.runtime`, the
detector's inference runtime.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select

from mineguard.services.alerts.book import AlertChange
from mineguard.services.alerts.delivery import load_dispatcher
from mineguard.services.alerts.evidence import IncidentEvidence
from mineguard.services.alerts.forecasts import prune_forecasts
from mineguard.services.alerts.fusion_job import check_fusion
from mineguard.services.alerts.headcount_job import check_headcount
from mineguard.services.alerts.health_job import check_ingest_health, check_sensor_health
from mineguard.services.alerts.notifiers.dispatch import Dispatcher
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.alerts.retrain_job import run_retrain
from mineguard.services.alerts.risk_job import check_risk
from mineguard.services.alerts.seismic_job import SeismicJob
from mineguard.services.alerts.served_models import ServedModels
from mineguard.services.bootstrap import Booted
from mineguard.services.evidence.store import prune as prune_evidence
from mineguard.services.ingest.broker_check import StartupCheck
from mineguard.services.ingest.pool import IngestPool, PoolConfig
from mineguard.services.ingest.store import IngestReport
from mineguard.services.ingest.transport import make_transport, mqtt_address
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.observability.metrics import ServiceMetrics
from mineguard.services.settings import Settings
from mineguard.services.storage.models import Device
from mineguard.services.storage.types import utc_now
from mineguard.services.ticker import Ticker
from mineguard.warning.risk import RiskModel, load_risk_model
from mineguard.warning.sensing.live import LiveCleanser

log = logging.getLogger(__name__)


class Startable(Protocol):
    def start(self) -> None: ...

    def stop(self) -> object: ...


@dataclass(frozen=True)
class Models:
    """What the background jobs judge with, loaded once per app before anything runs."""

    risk: RiskModel  # with no active version in the model registry (``ServiceRuntime.served``)
    evidence: IncidentEvidence | None  # similar past incidents for a new alert; None without an index

    @classmethod
    def load(cls, settings: Settings) -> Models:
        """ValueError naming the setting and the fix for an unknown risk model or a bad file or folder."""
        return cls(load_risk_model(settings.risk_model), load_incident_evidence(settings))


class ServiceRuntime:
    """The background services of one run of the app (one lifespan): build, :meth:`start`, :meth:`stop`.

    ``on_alert`` is what the caller does with every alert change after the incident evidence is
    attached and before the notifiers get it (the API publishes it on the live stream).
    ``on_live`` gets the new live state of each device (device id -> newest reading) of every batch
    the ingest worker stores, after its commit (the API publishes them on the live stream, as the
    HTTP ingest route does). ``refusals`` is the API's log of refused ingest bodies: started first,
    stopped after ingest.
    """

    def __init__(
        self,
        settings: Settings,
        booted: Booted,
        models: Models,
        *,
        on_alert: Callable[[AlertChange], None],
        on_live: Callable[[dict[str, dict[str, Any]]], None] | None = None,
        refusals: Startable | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings, self.booted, self.models = settings, booted, models
        self.on_alert, self.on_live, self.refusals = on_alert, on_live, refusals
        self.metrics = metrics or ServiceMetrics()
        # the registry's active versions (promoted or rolled back while running), with fall-back
        self.served = ServedModels(
            booted.sessions, booted.site_id, defaults={"risk": models.risk}, metrics=self.metrics
        )
        self.broker_check = broker_startup_check(settings)
        self.dispatcher: Dispatcher | None = None  # loaded by start(), once the broker check has passed
        self.pipeline = AlertPipeline.for_site(booted.sessions, on_change=self.on_change)
        self.seismic = SeismicJob(
            booted.sessions, booted.site_id, policy=self.pipeline.policy, texts=booted.early_warning
        )
        self._fusion_open = True  # the first round resolves fusion warnings left open by a version no longer active
        self.cleanser = LiveCleanser()  # every reading is flagged here before it is stored, whichever way it came
        # with worker processes the service's own client subscribes to nothing: a clean session, so no
        # queue of readings builds up for it on the broker
        session_id = None if settings.ingest_workers else settings.mqtt_client_id
        self.bus = make_transport(settings.mqtt_url, client_id=session_id)
        self.ingest = self._ingest_path()
        self._watch_ingest()
        ingest_period_s = min(settings.health_check_s, settings.ingest_stuck_s / 2)
        self.tickers = (  # started in this order and stopped in this order
            Ticker(lambda: self.pipeline.tick(utc_now()), settings.tick_s),
            Ticker(self._sensor_health_round, settings.health_check_s, name="mineguard-sensor-health"),
            Ticker(self._ingest_health_round, ingest_period_s, name="mineguard-ingest-health"),
            Ticker(self._risk_round, settings.risk_check_s, name="mineguard-risk"),
            Ticker(self._seismic_round, settings.seismic_check_s, name="mineguard-seismic"),
            Ticker(self._fusion_round, settings.fusion_check_s, name="mineguard-fusion"),
            Ticker(lambda: booted.seal.checkpoint(booted.engine), settings.audit_anchor_s, name="mineguard-audit"),
            Ticker(self._evidence_round, settings.evidence_prune_s, name="mineguard-evidence"),
            Ticker(self._headcount_round, settings.headcount_check_s, name="mineguard-headcount"),
        )
        if settings.retrain_every_h is not None:  # off by default
            retrain = Ticker(
                lambda: run_retrain(settings, utc_now()), settings.retrain_every_h * 3600, name="mineguard-retrain"
            )
            self.tickers += (retrain,)

    def _ingest_path(self) -> IngestWorker | IngestPool:
        """One worker thread on the transport, or ``ingest_workers`` processes in a shared subscription."""
        settings, booted = self.settings, self.booted
        if not settings.ingest_workers:
            return IngestWorker(
                self.bus,
                booted.sessions,
                site_id=booted.site_id,
                source="mqtt" if settings.mqtt_url else "bus",
                max_skew_s=settings.max_skew_s,
                on_report=self._on_ingested,
                cleanser=self.cleanser,
            )
        if not settings.mqtt_url:
            raise ValueError(
                f"MINEGUARD_INGEST_WORKERS={settings.ingest_workers} needs an MQTT broker to split the stream — "
                "set MINEGUARD_MQTT_URL, or MINEGUARD_INGEST_WORKERS=0 for the in-process bus"
            )
        config = PoolConfig(
            database_url=settings.database_url,
            **mqtt_address(settings.mqtt_url),
            site_id=booted.site_id,
            client_id=settings.mqtt_client_id,
            share_group=settings.ingest_share_group,
            mqtt5=settings.ingest_mqtt5,
            max_skew_s=settings.max_skew_s,
            partition=settings.ingest_partition,
            devices=tuple(sorted(sensor_ids(booted.sessions))),
        )
        return IngestPool(config, workers=settings.ingest_workers, cleanser=LiveCleanser, on_report=self._on_ingested)

    def _watch_ingest(self) -> None:
        """The ingest worker's totals and queue in ``/metrics``."""
        self.metrics.count_ingest(self.ingest.source, self.ingest.totals)
        status = self.ingest.status
        self.metrics.gauge("mineguard_ingest_waiting", "Readings received and not yet stored", lambda: status().waiting)
        self.metrics.gauge(
            "mineguard_ingest_lag_seconds",
            "How long the oldest unstored reading has waited",
            lambda: status().lag_s or 0.0,
        )
        self.metrics.gauge(
            "mineguard_ingest_failures_in_a_row",
            "Failed attempts to store since the last success",
            lambda: status().consecutive_failures,
        )

    def on_change(self, change: AlertChange) -> None:
        """Every alert change: counted, its similar past incidents, ``on_alert``, then the notifiers (never blocks)."""
        self.metrics.alert(change)
        if self.models.evidence is not None:
            self.models.evidence.attach(self.booted.sessions, change)  # never raises
        self.on_alert(change)
        if self.dispatcher is not None:
            self.dispatcher.submit_change(change, utc_now())  # returns at once; delivery is in the background

    def _on_ingested(self, report: IngestReport) -> None:
        """A batch the ingest worker stored: the devices' new live states out, the readings to the rules."""
        if self.on_live is not None and report.live:
            self.on_live(report.live)
        self.pipeline.observe_readings(report.accepted)

    def start(self) -> None:
        if self.broker_check is not None:
            self.broker_check.start()  # strict: raises here, before anything else has started
        if self.settings.notifiers_file:
            self.dispatcher = load_dispatcher(self.settings.notifiers_file, self.booted.sessions)
        if self.refusals is not None:
            self.refusals.start()
        self.ingest.start()
        self.bus.start()
        for ticker in self.tickers:
            ticker.start()

    def stop(self) -> None:
        for ticker in self.tickers:
            ticker.stop()
        self.bus.stop()  # stop taking messages, then store what is buffered
        self.ingest.stop()
        if self.refusals is not None:
            self.refusals.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()

    def _sensor_health_round(self) -> None:
        for change in check_sensor_health(self.booted.sessions, utc_now()):
            self.on_change(change)

    def _ingest_health_round(self) -> None:
        status = self.ingest.status()
        stuck_s, site_id = self.settings.ingest_stuck_s, self.booted.site_id
        for change in check_ingest_health(self.booted.sessions, status, utc_now(), stuck_s=stuck_s, site_id=site_id):
            self.on_change(change)

    def _evidence_round(self) -> None:
        limits = {"max_age_days": self.settings.evidence_days, "max_bytes": int(self.settings.evidence_max_mb * 1e6)}
        with self.booted.sessions() as session, session.begin():
            dropped = prune_evidence(session, now=utc_now(), **limits)
        if dropped:
            log.info("evidence retention: %d file(s) past %g days or %g MB deleted", dropped, *limits.values())

    def _headcount_round(self) -> None:
        for change in check_headcount(
            self.booted.sessions, self.booted.site_id, utc_now(), policy=self.pipeline.policy
        ):
            self.on_change(change)

    def _seismic_round(self) -> None:
        """At each shift's end, the seismic hazard per longwall with the served ``seismic`` model (else the rule)."""
        served, judged = self.served.get("seismic"), self.seismic.judged
        with self.metrics.timed("seismic"):
            changes = self.seismic.round(utc_now(), served.model, model_label=served.label)
        if self.seismic.judged != judged or served.load_problem is not None:  # its health changes at shift ends
            changes += self.served.check_health(served, utc_now(), policy=self.pipeline.policy)
        for change in changes:
            self.on_change(change)

    def _fusion_round(self) -> None:
        """Multimodal warnings per zone with the active ``multimodal`` version; without one, nothing is read."""
        served = self.served.get("multimodal")
        if served.version is None and not self._fusion_open:
            return
        with self.metrics.timed("multimodal"):
            changes = check_fusion(
                self.booted.sessions,
                utc_now(),
                served.model,
                model_label=served.label,
                policy=self.pipeline.policy,
                texts=self.booted.early_warning,
            )
        self._fusion_open = served.version is not None  # once more after a demotion: its open warnings resolve
        changes += self.served.check_health(served, utc_now(), policy=self.pipeline.policy)
        for change in changes:
            self.on_change(change)

    def _risk_round(self) -> None:
        """The risk job with the served risk model: the registry's active version, else the setting's."""
        served = self.served.risk_models()  # the risk model, and the forecast for the kind it serves
        with self.metrics.timed("risk"):
            now = utc_now()
            changes = check_risk(
                self.booted.sessions,
                now,
                model=served.risk.model,
                model_label=served.risk.label,
                by_kind=served.by_kind(),
                texts=self.booted.early_warning,
            )
            with self.booted.sessions() as session, session.begin():
                prune_forecasts(session, now - timedelta(hours=self.settings.forecast_retention_h))
        for kind in served.all():
            changes += self.served.check_health(kind, utc_now(), policy=self.pipeline.policy)
        for change in changes:
            self.on_change(change)


def sensor_ids(sessions) -> list[str]:
    """The ids of the site's sensors (the ingest processes split them between themselves)."""
    with sessions() as session:
        return list(session.scalars(select(Device.id).where(Device.kind == "sensor")))


def broker_startup_check(settings: Settings) -> StartupCheck | None:
    """The start-up check that the MQTT broker keeps our queue (``MINEGUARD_MQTT_CHECK``); None on the bus."""
    if not settings.mqtt_url:
        return None
    return StartupCheck(
        settings.mqtt_check,
        **mqtt_address(settings.mqtt_url),
        messages=settings.mqtt_check_messages,
        timeout_s=settings.mqtt_check_timeout_s,
    )


def load_incident_evidence(settings: Settings) -> IncidentEvidence | None:
    """The similar-incident index of ``settings.incident_index``; None when it is not set."""
    if settings.incident_index is None:
        return None
    try:
        return IncidentEvidence.load(settings.incident_index)
    except ValueError as e:
        raise ValueError(
            f"incident_index (MINEGUARD_INCIDENT_INDEX={settings.incident_index}): {e} — build one "
            "with `mineguard warn index --out DIR`"
        ) from None
