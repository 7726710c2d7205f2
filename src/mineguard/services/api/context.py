"""What the running service holds: settings, database, zone graph, the live event hub and open streams."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.graph import ZoneGraph
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.alerts.served_models import ServedModels
from mineguard.services.api.open_streams import OpenStreams
from mineguard.services.auth.throttle import LoginGuard
from mineguard.services.events import EventHub
from mineguard.services.ingest.broker_check import StartupCheck
from mineguard.services.ingest.bus import Communicator
from mineguard.services.ingest.worker import IngestTotals, IngestWorker
from mineguard.services.observability.metrics import ServiceMetrics
from mineguard.services.settings import Settings
from mineguard.services.twin.proximity import ApproachTracker
from mineguard.warning.risk.base import RiskModel
from mineguard.warning.sensing.live import LiveCleanser


@dataclass
class ServiceContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hub: EventHub
    graph: ZoneGraph
    site_id: str
    bus: Communicator | None = None
    ingest: IngestWorker | None = None
    pipeline: AlertPipeline | None = None
    cleanser: LiveCleanser | None = None  # the one live cleanser (ServiceRuntime's), shared with the ingest worker
    risk_model: RiskModel | None = None  # the service's risk model (Models.risk), for forecasts on request
    served: ServedModels | None = None  # the registry's active versions with fall-back (ServiceRuntime's), when running
    broker_check: StartupCheck | None = None  # MQTT only: does the broker keep our queue while we are down
    approach: ApproachTracker = field(default_factory=ApproachTracker)  # people's recent fixes, for closing speeds
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)  # GET /metrics
    http_totals: IngestTotals = field(default_factory=IngestTotals)  # readings that came as HTTP batches
    streams: OpenStreams = field(init=False)  # the open live streams, closed when their token goes
    logins: LoginGuard = field(init=False)  # failed-login back-off and the bound on concurrent password checks

    def __post_init__(self) -> None:
        self.streams = OpenStreams(self.sessions, self.settings.stream_recheck_s)
        self.logins = LoginGuard.from_settings(self.settings)
