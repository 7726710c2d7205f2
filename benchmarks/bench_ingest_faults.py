"""Nothing lost under faults, full size (issue 21, "Nothing lost"): the fault tests of
``tests/services/ingest/test_pool_faults.py`` with a 100k-reading stream.

For each fault — one of three ingest worker processes killed with SIGKILL, the broker restarted, the
database refusing connections for 5 s (cluster stopped and started) — a gateway process streams
``--readings`` readings of the sample site's 10 sensors at QoS 1 (paho, persistent session: it
resends what the broker had not acknowledged after a reconnect) to Mosquitto on the shipped settings,
three worker processes, each owning some of the sensors (``MINEGUARD_INGEST_PARTITION=device``, the default),
store them in PostgreSQL with durable commits,
and the fault comes once a quarter is stored. Then: rows, distinct (device, seq), rejects.

    .venv/bin/python benchmarks/bench_ingest_faults.py --readings 100000 --write
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench_ingest_workers import SENSORS, SITE, messages
from local_servers import create_database, local_broker, local_cluster
from mineguard.services.bootstrap import bootstrap
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.services.ingest.pool import IngestPool, PoolConfig
from mineguard.services.settings import Settings
from mineguard.services.storage.models import RejectedPayload, SensorReading
from mineguard.warning.sensing.live import LiveCleanser
from results_file import run_lines, write_section

RESULTS = Path(__file__).resolve().parents[1] / "docs/results/platform.md"
WORKERS = 3


def gateway(host: str, port: int, batch: list[tuple[str, bytes]]) -> None:
    """In a process of its own: publish ``batch`` at QoS 1 and wait until the broker has taken every one."""
    client = MqttCommunicator(host, port, client_id=f"bench-fault-gw-{uuid.uuid4().hex[:6]}", max_inflight=1000)
    client.start()
    for i, (topic, payload) in enumerate(batch):
        if i % 20_000 == 0 and not client.wait_published(900):  # paho has 65,535 message ids: stay well below
            raise SystemExit("the broker did not take the readings")
        client.publish(topic, payload)
    if not client.wait_published(900):
        raise SystemExit("the broker did not take every reading")
    client.stop()


def run(fault: str, n: int, per_message: int = 1) -> dict[str, object]:
    context = multiprocessing.get_context("spawn")
    with local_cluster(durable=True) as cluster, local_broker() as broker:
        url = create_database(cluster.url, "faults")
        bootstrap(Settings(database_url=url, admin_password="bench-password")).engine.dispose()
        engine = create_engine(url, pool_pre_ping=True)

        def stored() -> int:
            try:
                with engine.connect() as connection:
                    return connection.scalar(select(func.count()).select_from(SensorReading))
            except Exception:
                return -1

        client = f"fault-{uuid.uuid4().hex[:6]}"
        config = PoolConfig(url, broker.host, broker.port, None, None, SITE, client, devices=tuple(SENSORS))
        pool = IngestPool(config, workers=WORKERS, cleanser=LiveCleanser)
        pool.start()
        try:
            if not pool.wait_ready(300):
                raise RuntimeError("the worker processes did not start")
            start = datetime.now(UTC) - timedelta(hours=3)
            batch = messages(n, 0, start, 1000.0 / len(SENSORS) / 5, per_message)
            sender = context.Process(target=gateway, args=(broker.host, broker.port, batch))
            t0 = time.perf_counter()
            sender.start()
            while stored() < n // 4 and sender.is_alive():
                time.sleep(0.05)
            at_fault = stored()
            if fault == "kill -9 one of 3 workers":
                os.kill(pool.pids[1], signal.SIGKILL)
            elif fault == "broker restart":
                broker.restart()
            else:
                cluster.stop()
                time.sleep(5)
                cluster.start()
            sender.join(1800)
            deadline = time.monotonic() + 600
            while stored() < n and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)
            elapsed = time.perf_counter() - t0
            r = SensorReading
            with engine.connect() as connection:
                rows = connection.scalar(select(func.count()).select_from(r))
                distinct = connection.scalar(
                    select(func.count()).select_from(select(r.device_id, r.seq).distinct().subquery())
                )
                rejects = connection.scalar(select(func.count()).select_from(RejectedPayload))
        finally:
            pool.stop()
            engine.dispose()
    return {
        "fault": fault,
        "readings a message": per_message,
        "sent": n,
        "stored at the fault": at_fault,
        "rows": rows,
        "distinct (device, seq)": distinct,
        "rejected": rejects,
        "redelivered (duplicates)": pool.totals.duplicates,
        "worker restarts": pool.restarts,
        "s": round(elapsed, 1),
        "exactly once": "yes" if rows == distinct == n and rejects == 0 else f"NO: {n - distinct} missing",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument(
        "--faults", nargs="+", default=["kill -9 one of 3 workers", "broker restart", "database away 5 s"]
    )
    parser.add_argument(
        "--per-message", type=int, nargs="+", default=[1], help="readings per MQTT message (a batch when > 1)"
    )
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    folder = Path("runs/bench_ingest_faults")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MINEGUARD_AUDIT_KEY_FILE", str(folder / "audit.key"))
    os.environ.setdefault("MINEGUARD_AUDIT_ANCHOR_FILE", str(folder / "audit-anchors.jsonl"))
    results = []
    for per_message in args.per_message:
        for fault in args.faults:
            results.append(run(fault, args.readings, per_message))
            print(json.dumps(results[-1]), flush=True)
    columns = list(results[0])
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in results]
    table = "\n".join(lines)
    print(table)
    if args.write:
        command = f"benchmarks/bench_ingest_faults.py --readings {args.readings} --write"
        if args.per_message != [1]:
            command += " --per-message " + " ".join(map(str, args.per_message))
        provenance = run_lines(f".venv/bin/python {command}")
        write_section(RESULTS, SECTION.format(provenance=provenance, table=table))
        print(f"wrote {RESULTS}")


SECTION = """
## Ingest under faults: every reading stored exactly once?

{provenance}

Three ingest worker processes, each owning some of the sensors through plain persistent subscriptions
(`MINEGUARD_INGEST_PARTITION=device`, the default since session 12), PostgreSQL 15 with durable commits,
Mosquitto on the shipped settings; a gateway process publishes at QoS 1 (paho, persistent session);
the fault comes once a quarter of the stream is stored. The same tests run in `make test` with
6,000 readings (`tests/services/ingest/test_pool_faults.py`, where the broker restart also runs in a
`$share` group). By device, the broker keeps the processes' subscriptions over its restart, so a
restart loses nothing; in a `$share` group Mosquitto 2.0.11 forgets them, and readings a gateway sends
before the workers have subscribed again can be dropped (one 6,000-reading run with MQTT 5 lost 918).
"readings a message" > 1: the gateway sends that many consecutive readings of one sensor as one batch
message (`ingest/schema.py`), acknowledged by the worker only after all its readings are committed.

{table}
"""


if __name__ == "__main__":
    main()
