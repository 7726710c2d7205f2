"""Bring a service up: migrate the schema, load the site and its rule version, make sure a super-manager exists."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.mine.early_warning import EarlyWarningConfig
from mineguard.mine.graph import ZoneGraph
from mineguard.mine.roles import Role
from mineguard.mine.site import ProximityConfig, load_site
from mineguard.services.audit.seal import AuditSeal
from mineguard.services.auth.passwords import new_secret
from mineguard.services.auth.users import create_user
from mineguard.services.rules.store import sync_file_rules
from mineguard.services.settings import Settings
from mineguard.services.storage.db import make_engine, migrate, session_factory, transaction
from mineguard.services.storage.models import User
from mineguard.services.twin.loader import graph_from_db, sync_site

log = logging.getLogger(__name__)


@dataclass
class Booted:
    engine: Engine
    sessions: sessionmaker[Session]
    graph: ZoneGraph
    site_id: str
    admin_password: str | None  # set only when it was generated now
    seal: AuditSeal  # the audit log's key and checkpoint file, attached to ``sessions``
    proximity: ProximityConfig = field(default_factory=ProximityConfig)  # who counts as approaching (site file)
    early_warning: EarlyWarningConfig = field(default_factory=EarlyWarningConfig)  # the warnings' actions (site file)


def bootstrap(settings: Settings, engine: Engine | None = None) -> Booted:
    site = load_site(settings.site_file)
    engine = engine or make_engine(settings.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    seal = AuditSeal.from_settings(settings)  # a missing key file is created here; an unreadable one stops start
    seal.attach(sessions)
    generated = None
    with transaction(sessions) as session:
        sync_site(session, site)
        rules = sync_file_rules(session, site.id, site.rules)  # the file's rules, unless an API edit is newer
        log.info("rules version %d (%s) applies", rules.version, rules.origin)
        if session.scalar(select(User).where(User.role == Role.SUPER_MANAGER)) is None:
            password = settings.admin_password or new_secret()[:20]
            generated = None if settings.admin_password else password
            create_user(session, username=settings.admin_username, password=password, role=Role.SUPER_MANAGER)
            log.warning(
                "created super-manager %r%s",
                settings.admin_username,
                f" with password {password!r} — change it" if generated else "",
            )
        graph = graph_from_db(session)
    seal.checkpoint(engine)  # the head at start (for a legacy log: the cut-over to the key)
    return Booted(engine, sessions, graph, site.id, generated, seal, site.proximity, site.early_warning)
