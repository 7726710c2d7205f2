"""Position updates per second stored with history, on SQLite and PostgreSQL (issue: platform core I).

Three paths, each for ``--seconds`` on each backend:
- ``service x1``: one position update per transaction (``tracking.update_position`` + commit),
  the worst case of a gateway sending fixes one by one;
- ``service x50``: 50 updates per transaction, like one gateway batch;
- ``api x50``: the gateway endpoint ``POST /api/v1/gateways/{id}/readings`` with 50 tag fixes
  per request through FastAPI (in-process client, no network), auth and zone lookup included.
Every update writes the history row and the live row. Results go to
``docs/results/platform.md`` with ``--write``.

    .venv/bin/python benchmarks/bench_position_updates.py --seconds 10 --write
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from local_servers import create_database, local_postgres
from mineguard.services.api.main import create_app
from mineguard.services.settings import Settings
from mineguard.services.storage.db import session_factory
from mineguard.services.twin import tracking
from mineguard.services.twin.loader import graph_from_db
from results_file import run_lines, write_section

RESULTS = Path(__file__).resolve().parents[1] / "docs/results/platform.md"
BARCODES = [f"69012345000{i}{c}" for i, c in zip(range(1, 7), "185296", strict=True)]
PEOPLE = [f"miner-00{i}" for i in range(1, 7)]


def _points(graph) -> itertools.cycle:
    return itertools.cycle([graph.point_along("main_roadway", f / 100) for f in range(100)])


def bench_service(app, batch: int, seconds: float) -> tuple[int, float]:
    ctx = app.state.ctx
    sessions = session_factory(ctx.engine)
    points, people = _points(ctx.graph), itertools.cycle(PEOPLE)
    t0, done, clock = time.perf_counter(), 0, datetime(2026, 11, 22, tzinfo=UTC)
    while time.perf_counter() - t0 < seconds:
        with sessions() as session, session.begin():
            for _ in range(batch):
                clock += timedelta(milliseconds=100)
                tracking.update_position(session, ctx.graph, "asset", next(people), clock, next(points), "bench")
        done += batch
    return done, time.perf_counter() - t0


def bench_api(app, client: TestClient, batch: int, seconds: float) -> tuple[int, float]:
    login = client.post("/api/v1/auth/token", json={"username": "admin", "password": "bench-password"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for barcode, person in zip(BARCODES, PEOPLE, strict=True):
        client.post("/api/v1/tags/pair", json={"barcode": barcode, "asset_id": person, "force": True}, headers=headers)
    secret = client.post("/api/v1/gateways/gw-roadways/register", headers=headers).json()["secret"]
    points, tags = _points(app.state.ctx.graph), itertools.cycle(BARCODES)
    clock, t0, done = datetime(2026, 11, 23, tzinfo=UTC), time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        readings = []
        for _ in range(batch):
            clock += timedelta(milliseconds=100)
            x, y, z = next(points)
            readings.append({"barcode": next(tags), "t": clock.isoformat(), "x_m": x, "y_m": y, "z_m": z})
        response = client.post(
            "/api/v1/gateways/gw-roadways/readings", json={"readings": readings}, headers={"X-Gateway-Secret": secret}
        )
        assert response.status_code == 200, response.text
        done += batch
    return done, time.perf_counter() - t0


def run_backend(url: str, seconds: float) -> dict[str, float]:
    app = create_app(Settings(database_url=url, admin_password="bench-password"))
    rates = {}
    with TestClient(app) as client:
        for batch in (1, 50):
            n, elapsed = bench_service(app, batch, seconds)
            rates[f"service x{batch}"] = n / elapsed
        n, elapsed = bench_api(app, client, 50, seconds)
        rates["api x50"] = n / elapsed
        with app.state.ctx.sessions() as session:
            graph_from_db(session)
            from sqlalchemy import func, select

            from mineguard.services.storage.models import PositionRecord

            rates["history rows"] = session.scalar(select(func.count()).select_from(PositionRecord))
    app.state.ctx.engine.dispose()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tmp = Path("runs/bench_platform")
    tmp.mkdir(parents=True, exist_ok=True)
    results = {}
    sqlite_file = tmp / f"{uuid.uuid4().hex[:8]}.db"
    results["SQLite (file, WAL)"] = run_backend(f"sqlite:///{sqlite_file}", args.seconds)
    with local_postgres() as server:
        results["PostgreSQL 15 (loopback, fsync off)"] = run_backend(create_database(server, "bench"), args.seconds)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    columns = ["service x1", "service x50", "api x50", "history rows"]
    header = "| backend | " + " | ".join(c if c.startswith("history") else f"{c} (upd/s)" for c in columns) + " |"
    rows = [f"| {name} | " + " | ".join(f"{r[c]:.0f}" for c in columns) + " |" for name, r in results.items()]
    header += "\n" + "|---" * (len(columns) + 1) + "|"
    table = "\n".join([header, *rows])
    print(table)
    if args.write:
        command = f".venv/bin/python benchmarks/bench_position_updates.py --seconds {args.seconds:g} --write"
        write_section(RESULTS, RESULTS_TEMPLATE.format(provenance=run_lines(command), table=table))
        print(f"wrote {RESULTS}")


RESULTS_TEMPLATE = """# Platform: position updates stored with history

{provenance}
Data: the bundled sample coal mine; six miners moved along the main roadway (zone lookup on every fix).

Each update writes one `position_history` row and updates the live asset row; the API path
also authenticates the gateway, validates the JSON and writes the tag's own position
(two history rows per fix; the table counts fixes).

{table}

Notes:
- `service x1` commits every fix (one transaction each); `service x50` commits batches of 50,
  as a gateway batch does; `api x50` is the real HTTP handler through FastAPI's in-process
  client (no socket), so it includes request parsing, auth, validation and response encoding.
- The PostgreSQL cluster is the throw-away test cluster (`fsync=off`), so its per-commit cost
  is lower than a production server with durable commits; SQLite runs with WAL and
  `synchronous=NORMAL`.
- Measured while other work shared the 2 cores; treat the figures as lower bounds.
"""


if __name__ == "__main__":
    main()
