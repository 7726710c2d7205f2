"""What the running service holds: settings, database, zone graph and the live event hub."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.events import EventHub
from mineguard.services.ingest.broker_check import StartupCheck
from mineguard.services.ingest.bus import Communicator
from mineguard.services.ingest.worker import IngestWorker
from mineguard.services.settings import Settings
from mineguard.services.twin.graph import ZoneGraph


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
    broker_check: StartupCheck | None = None  # MQTT only: does the broker keep our queue while we are down
