"""A real MineGuard service on a loopback port for tests: ``create_app`` served by uvicorn in a
thread (its lifespan runs: ingest worker, alert pipeline, tickers), SQLite in a given folder, a
known super-manager password. A test helper, not part of the package (``from local_service import ...``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mineguard.cli.demo import HOST, free_port, serving
from mineguard.sim.client import ServiceClient

PASSWORD = "sim-test-password-1"


@dataclass(frozen=True)
class Service:
    app: object
    url: str
    username: str
    password: str

    def client(self) -> ServiceClient:
        return ServiceClient(self.url, self.username, self.password)


@contextmanager
def local_service(folder: Path, port: int | None = None, **settings) -> Iterator[Service]:
    """The service on ``port`` (default: a free one); ``settings`` override
    :class:`~mineguard.services.settings.Settings` fields. The same ``folder`` twice is the same database."""
    from mineguard.services.api.main import create_app
    from mineguard.services.settings import Settings

    port = port or free_port()
    config = Settings(
        database_url=f"sqlite:///{folder / 'service.db'}", admin_password=PASSWORD, host=HOST, port=port, **settings
    )
    app = create_app(config)
    with serving(app, HOST, port):
        yield Service(app, f"http://{HOST}:{port}", config.admin_username, PASSWORD)
