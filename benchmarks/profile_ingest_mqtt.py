"""Where an MQTT ingest process's time goes: cProfile of process 0 of a device-partitioned pool (issue 21).

Runs what ``pool.run_member`` runs for process 0 of ``--workers`` (it takes the site's every topic, stores its
own devices and acknowledges the others'), in this process, with a cProfile profiler in each of its two busy
threads (paho's network thread and the ingest worker thread). A publisher process sends ``--readings`` readings
of the sample site's 10 sensors at QoS 1 (``bench_ingest_workers.publish``); the stats of both threads are
merged and the top entries by own time printed. ``--per-message N`` sends batch messages of N readings;
``--backend postgresql`` stores in a throw-away PostgreSQL cluster with durable commits (fsync and
synchronous_commit on); ``--rules`` also feeds every stored batch to the site's alert pipeline in the worker
thread (the service does it in its own process) so that its cost shows in the same profile.

    PYTHONPATH=src:benchmarks:tests/support .venv/bin/python benchmarks/profile_ingest_mqtt.py --readings 20000
    PYTHONPATH=src:benchmarks:tests/support .venv/bin/python benchmarks/profile_ingest_mqtt.py --readings 50000 \
        --backend postgresql --per-message 50 --rules
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt

from bench_ingest import SENSORS, SITE
from bench_ingest_workers import messages, publish
from local_servers import local_broker, local_cluster
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.bootstrap import bootstrap
from mineguard.services.ingest import worker as worker_module
from mineguard.services.ingest.pool import PoolConfig, build_member, member_topics
from mineguard.services.settings import Settings
from mineguard.services.storage.db import session_factory
from mineguard.warning.sensing.live import LiveCleanser

PROFILES: list[cProfile.Profile] = []


def profiled(method):
    def run(*args, **kwargs):
        profile = cProfile.Profile()
        PROFILES.append(profile)
        profile.enable()
        try:
            return method(*args, **kwargs)
        finally:
            profile.disable()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="the pool size process 0 belongs to")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats sort key: tottime or cumulative")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--per-message", type=int, default=1, help="readings a message (a batch when > 1)")
    parser.add_argument("--rules", action="store_true", help="evaluate the rules on every stored batch")
    args = parser.parse_args()
    folder = Path("runs/profile_ingest_mqtt")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MINEGUARD_AUDIT_KEY_FILE", str(folder / "audit.key"))
    os.environ.setdefault("MINEGUARD_AUDIT_ANCHOR_FILE", str(folder / "audit-anchors.jsonl"))
    with ExitStack() as stack:
        if args.backend == "postgresql":
            url = stack.enter_context(local_cluster(durable=True)).url
        else:
            url = f"sqlite:///{folder / uuid.uuid4().hex[:8]}.db"
        worker, elapsed = profile_member(url, args)
    stats = pstats.Stats(PROFILES[0], stream=(out := io.StringIO()))
    for profile in PROFILES[1:]:
        stats.add(profile)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(f"{args.readings} readings received, {worker.totals.accepted} stored (own partition) in {elapsed:.2f} s")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def profile_member(url: str, args: argparse.Namespace):
    booted = bootstrap(Settings(database_url=url, admin_password="bench-password"))
    mqtt.Client._thread_main = profiled(mqtt.Client._thread_main)
    worker_module.IngestWorker._run = profiled(worker_module.IngestWorker._run)
    context = multiprocessing.get_context("spawn")
    with local_broker() as broker:
        config = PoolConfig(url, broker.host, broker.port, None, None, SITE, "profile", devices=tuple(SENSORS))
        _, accept = member_topics(config, 0, args.workers)
        on_report = None
        if args.rules:
            pipeline = AlertPipeline.for_site(booted.sessions, on_change=lambda change: None)
            on_report = lambda report: pipeline.observe_readings(report.accepted)  # noqa: E731
        bus, worker = build_member(config, 0, args.workers, session_factory(booted.engine), LiveCleanser(), on_report)
        worker.start()
        bus.start(timeout=60)
        bus.subscribed.wait(30)
        mine = sum(1 for i in range(args.readings) if accept is None or accept(list(SENSORS)[i % len(SENSORS)]))
        burst = messages(args.readings, 0, datetime.now(UTC) - timedelta(hours=2), 10.0, args.per_message)
        ready, go = context.Event(), context.Event()
        sender = context.Process(target=publish, args=(broker.host, broker.port, burst, 0.0, None, ready, go))
        sender.start()
        ready.wait(120)
        t0 = time.perf_counter()
        go.set()
        while worker.totals.accepted < mine and time.perf_counter() - t0 < 600:
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        sender.join(60)
        bus.stop()
        worker.stop()
    booted.engine.dispose()
    return worker, elapsed


if __name__ == "__main__":
    main()
