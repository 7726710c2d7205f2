"""Readings/s against the number of ingest worker processes, over real MQTT (issue 21, "Throughput").

For each backend (SQLite file with WAL; PostgreSQL with durable commits: fsync and synchronous_commit
on) and each worker count (``--workers 1 2 4``): a throw-away Mosquitto on the shipped settings, an
:class:`~mineguard.services.ingest.pool.IngestPool` of that many processes in one MQTT 5 shared
subscription (each: validation, unit conversion, live cleansing, COPY / multi-row insert, live state,
ack after commit), and in this process the alert pipeline fed with every stored batch (rules
evaluated), as the service does. A publisher process sends ``--readings`` readings of the sample
site's 10 sensors at QoS 1 as fast as the broker takes them.

- readings/s: readings / (first publish .. the last one stored and its rules evaluated);
- CPU µs/reading: CPU time (user + system) of the worker processes, of this process (rules) and of
  the broker, over the run, per reading — what a reading costs whatever the machine's core count;
- service CPU µs/reading: this process's part of it (the workers' batches received, the rule feed, the rules);
- machine CPU µs/reading: every busy CPU second of the machine over the run (``/proc/stat``: the above plus
  the PostgreSQL server, the publisher and anything else running), per reading;
- reading p50/p99 ms: publish -> stored and rules evaluated, for ``--paced`` readings sent one every
  10 ms after the burst (latency, not throughput).

    .venv/bin/python benchmarks/bench_ingest_workers.py --readings 50000 --workers 1 2 4 --write
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import socket
import statistics
import struct
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import yaml

from bench_ingest import SENSORS, SITE
from local_servers import local_broker, local_cluster
from mineguard.mine.site import SAMPLE_SITE
from mineguard.services.alerts.pipeline import AlertPipeline
from mineguard.services.bootstrap import bootstrap
from mineguard.services.ingest.bus import topic_for
from mineguard.services.ingest.pool import IngestPool, PoolConfig
from mineguard.services.settings import Settings
from mineguard.warning.sensing.live import LiveCleanser
from results_file import median_range, run_lines, write_section

RESULTS = Path(__file__).resolve().parents[1] / "docs/results/platform.md"


def messages(
    n: int,
    first_seq: int,
    start: datetime,
    step_ms: float,
    per_message: int = 1,
    sensors: dict[str, tuple[str, str, float]] = SENSORS,
) -> list[tuple[str, bytes]]:
    """``n`` readings of ``sensors`` in turn, in time order; with ``per_message`` > 1 each message
    carries that many consecutive readings of one sensor as a JSON array (``schema.py``'s MQTT batch)."""
    devices, rows = list(sensors), []
    for i in range(n):
        device = devices[i % len(devices)]
        kind, unit, value = sensors[device]
        seq = first_seq + i // len(devices)
        t = start + timedelta(milliseconds=step_ms * seq)
        rows.append({"device_id": device, "kind": kind, "seq": seq, "t": t.isoformat(), "value": value, "unit": unit})
    if per_message == 1:
        return [(topic_for(SITE, r["device_id"], r["kind"]), json.dumps(r).encode()) for r in rows]
    out, block = [], len(devices) * per_message
    for first in range(0, n, block):
        for device in devices:
            group = [r for r in rows[first : first + block] if r["device_id"] == device]
            if group:
                out.append((topic_for(SITE, device, group[0]["kind"]), json.dumps(group).encode()))
    return out


def _packet(kind: int, body: bytes) -> bytes:
    n, length = len(body), bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        length.append(digit | (0x80 if n else 0))
        if not n:
            return bytes([kind]) + bytes(length) + body


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def publish(host: str, port: int, batch: list[tuple[str, bytes]], pace_s: float, sent_at, ready, go) -> None:
    """In a process of its own: connect (MQTT 3.1.1 on a raw socket: a paho publisher costs ~250 µs of
    Python a message and would be what this measures), say ``ready``, wait for ``go``, then publish
    ``batch`` at QoS 1 (one every ``pace_s`` s, or as fast as the socket takes them, at most 30,000
    unacknowledged), and return once the broker has PUBACKed every one."""
    sock = socket.create_connection((host, port))
    client_id = f"bench-gw-{uuid.uuid4().hex[:6]}"
    sock.sendall(_packet(0x10, _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + _string(client_id)))
    if sock.recv(4)[:1] != b"\x20":
        raise RuntimeError("the broker refused the benchmark publisher")
    acked, window = threading.Semaphore(30_000), [0]

    def read_acks() -> None:  # PUBACK: 0x40 0x02 id id
        pending = b""
        while window[0] < len(batch):
            pending += sock.recv(65536)
            whole = len(pending) // 4
            window[0] += whole
            for _ in range(whole):
                acked.release()
            pending = pending[whole * 4 :]

    packets = [
        _packet(0x32, _string(topic) + struct.pack("!H", i % 65535 + 1) + payload)
        for i, (topic, payload) in enumerate(batch)
    ]
    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    ready.set()
    go.wait()
    step = 1 if pace_s else 500
    for start in range(0, len(packets), step):
        chunk = packets[start : start + step]
        for _ in chunk:
            acked.acquire()
        if pace_s:
            sent_at[start] = time.time()
        sock.sendall(b"".join(chunk))
        if pace_s:
            time.sleep(pace_s)
    reader.join(600)
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()


def machine_cpu_s() -> float:
    """Busy CPU seconds of the whole machine so far, all cores (user, nice, system, irq, softirq)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(fields[i]) for i in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def extra_sensors(count: int, folder: Path) -> tuple[dict[str, tuple[str, str, float]], Path | None]:
    """The sample site's sensors plus ``count`` CO sensors on the belt roadway (a site file written to
    ``folder``; None: the sample site as shipped), for batches that hold readings of many devices."""
    if not count:
        return SENSORS, None
    sites = resources.files("mineguard.mine.sites")
    site = yaml.safe_load(sites.joinpath(SAMPLE_SITE).read_text())
    extra = {f"co-bench-{i:05d}": ("co", "ppm", 3.0) for i in range(count)}
    for i, device in enumerate(extra):
        where = {"zone": "belt_roadway", "position": [40 + i % 700, 40, -401]}
        site["devices"].append({"id": device, "kind": "sensor", "sensor_kind": "co", "unit": "ppm", **where})
    path = folder / f"bench_{count}_sensors.yaml"
    path.write_text(yaml.safe_dump(site, sort_keys=False))
    return {**SENSORS, **extra}, path


class Rig:
    def __init__(
        self,
        url: str,
        broker,
        workers: int,
        mqtt5: bool,
        partition: str = "device",
        sensors: dict[str, tuple[str, str, float]] = SENSORS,
        site_file: Path | None = None,
    ) -> None:
        settings = Settings(database_url=url, admin_password="bench-password", site_file=site_file)
        self.booted = bootstrap(settings)
        self.broker, self.stored_at = broker, {}
        self.pipeline = AlertPipeline.for_site(self.booted.sessions, on_change=lambda change: None)
        client = f"bench-{uuid.uuid4().hex[:6]}"
        config = PoolConfig(
            url,
            broker.host,
            broker.port,
            None,
            None,
            SITE,
            client,
            mqtt5=mqtt5,
            partition=partition,
            devices=tuple(sensors),
        )
        self.pool = IngestPool(config, workers=workers, cleanser=LiveCleanser, on_report=self._on_report)
        self.pool.start()
        if not self.pool.wait_ready(300):
            raise RuntimeError("the ingest processes did not start")

    def _on_report(self, report) -> None:
        self.pipeline.observe_readings(report.accepted)
        done = time.time()
        for r in report.accepted:
            self.stored_at[(r.device_id, r.seq)] = done

    def wait_stored(self, total: int, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while self.pool.totals.accepted < total and time.monotonic() < deadline:
            time.sleep(0.002)
        if self.pool.totals.accepted < total:
            raise RuntimeError(f"only {self.pool.totals.accepted} of {total} readings stored in {timeout:g} s")

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of the worker processes, this process (the service's part) and the broker; and of
        this process alone."""
        pids = [p for p in self.pool.pids if p is not None] + [self.broker._process.pid]
        service = cpu_s(os.getpid())
        return sum(cpu_s(pid) for pid in pids) + service, service

    def close(self) -> None:
        self.pool.stop()
        self.booted.engine.dispose()


def run(url: str, workers: int, per_message: int, args: argparse.Namespace) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    sensors, site_file = args.sensors
    with local_broker() as broker:
        rig = Rig(url, broker, workers, args.protocol == "5", args.partition, sensors, site_file)
        try:
            start = datetime.now(UTC) - timedelta(hours=2)
            burst = messages(args.readings, 0, start, 100.0 / len(sensors), per_message, sensors)
            ready, go = context.Event(), context.Event()
            sender = context.Process(target=publish, args=(broker.host, broker.port, burst, 0.0, None, ready, go))
            sender.start()
            ready.wait(120)
            (cpu0, service0), machine0, t0 = rig.cpu(), machine_cpu_s(), time.perf_counter()
            go.set()
            rig.wait_stored(args.readings)
            elapsed, (cpu, service), machine = time.perf_counter() - t0, rig.cpu(), machine_cpu_s() - machine0
            cpu, service = cpu - cpu0, service - service0
            sender.join(60)
            first = args.readings // len(sensors) + 1
            pace_ms = 1000.0  # each sensor's readings a second apart; the first paced one a minute ago
            base = datetime.now(UTC) - timedelta(milliseconds=pace_ms * first, minutes=1)
            paced = messages(args.paced, first, base, pace_ms, 1, sensors)
            sent_at = context.Array("d", len(paced))
            ready, go = context.Event(), context.Event()
            sender = context.Process(target=publish, args=(broker.host, broker.port, paced, 0.01, sent_at, ready, go))
            sender.start()
            ready.wait(120)
            go.set()
            rig.wait_stored(args.readings + args.paced)
            sender.join(60)
            keys = [(json.loads(p)["device_id"], json.loads(p)["seq"]) for _, p in paced]
            latency = sorted((rig.stored_at[k] - sent_at[i]) * 1000 for i, k in enumerate(keys))
        finally:
            rig.close()
    q = statistics.quantiles(latency, n=100)
    return {
        "readings/s": args.readings / elapsed,
        "CPU µs/reading": cpu / args.readings * 1e6,
        "service CPU µs/reading": service / args.readings * 1e6,
        "machine CPU µs/reading": machine / args.readings * 1e6,
        "reading p50 ms": q[49],
        "reading p99 ms": q[98],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=50_000)
    parser.add_argument("--paced", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--protocol", choices=["5", "3.1.1"], default="5", help="the workers' MQTT version")
    parser.add_argument("--partition", choices=["device", "share"], default="device", help="how the workers split")
    parser.add_argument(
        "--per-message",
        type=int,
        nargs="+",
        default=[1],
        help="readings per MQTT message in the burst (a batch when > 1); several values: one row each",
    )
    parser.add_argument(
        "--extra-sensors", type=int, default=0, help="CO sensors added to the sample site (many devices a batch)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs of every row (median and range when > 1)")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    folder = Path("runs/bench_ingest_workers")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MINEGUARD_AUDIT_KEY_FILE", str(folder / "audit.key"))
    os.environ.setdefault("MINEGUARD_AUDIT_ANCHOR_FILE", str(folder / "audit-anchors.jsonl"))
    args.sensors = extra_sensors(args.extra_sensors, folder)
    runs: dict[tuple[str, int, int], list[dict[str, float]]] = {}
    for _ in range(args.repeats):
        for backend in args.backends:
            for workers in args.workers:
                for per_message in args.per_message:
                    if backend == "sqlite":
                        name = "SQLite (file, WAL)"
                        result = run(f"sqlite:///{folder / uuid.uuid4().hex[:8]}.db", workers, per_message, args)
                    else:
                        name = "PostgreSQL 15 (loopback, fsync on, synchronous_commit on)"
                        with local_cluster(durable=True) as cluster:
                            result = run(cluster.url, workers, per_message, args)
                    runs.setdefault((name, workers, per_message), []).append(result)
                    print((name, workers, per_message, result), flush=True)
    table = results_table(runs, batched=args.per_message != [1])
    print(table)
    if args.write:
        batched = args.per_message != [1]
        workers = " ".join(map(str, args.workers))
        command = f"benchmarks/bench_ingest_workers.py --readings {args.readings} --workers {workers} --write"
        command += f" --protocol {args.protocol} --partition {args.partition}"
        if args.repeats > 1:
            command += f" --repeats {args.repeats}"
        if batched:
            command += " --per-message " + " ".join(map(str, args.per_message))
        if args.extra_sensors:
            command += f" --extra-sensors {args.extra_sensors}"
        provenance = run_lines(f".venv/bin/python {command}", load=True)
        split = SPLITS[args.partition]
        section = BATCHED_SECTION if batched else SECTION
        count = len(args.sensors[0])
        sensors = f"the sample site's {len(SENSORS)}"
        if args.extra_sensors:
            sensors += f" and {args.extra_sensors} CO sensors added to it (`--extra-sensors`): batches of many devices"
        heading = f", {count} sensors" if args.extra_sensors else ""
        heading += f", {args.repeats} runs each" if args.repeats > 1 else ""
        text = section.format(
            provenance=provenance, readings=args.readings, table=table, split=split, sensors=sensors, heading=heading
        )
        write_section(RESULTS, text)
        print(f"wrote {RESULTS}")


COLUMNS = [
    "readings/s",
    "CPU µs/reading",
    "service CPU µs/reading",
    "machine CPU µs/reading",
    "reading p50 ms",
    "reading p99 ms",
]


def results_table(runs: dict[tuple[str, int, int], list[dict[str, float]]], *, batched: bool) -> str:
    """One row per (backend, workers, readings a message): the figure of its one run, or with several runs
    the median and, in brackets, the lowest and highest."""
    head = "| backend | workers | " + ("readings a message | " if batched else "")
    lines = [head + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2 + batched) + "|"]
    for (name, workers, per_message), results in runs.items():
        cells = [median_range([result[column] for result in results]) for column in COLUMNS]
        lines.append(f"| {name} | {workers} | " + (f"{per_message} | " if batched else "") + " | ".join(cells) + " |")
    return "\n".join(lines)


SPLITS = {
    "device": "each owning some of the sensors (plain persistent subscriptions, `MINEGUARD_INGEST_PARTITION=device`)",
    "share": "in one shared subscription (`$share/mineguard-ingest/...`, MQTT 3.1.1 unless `--protocol 5`)",
}
SECTION = """
## Ingest worker processes: readings/s against workers, over MQTT

{provenance}

Path: a publisher process → Mosquitto (shipped settings) → `MINEGUARD_INGEST_WORKERS` processes {split}
(validation, units, live cleansing, COPY / multi-row insert, live state, ack after commit) → their
batches back to the service process → rule feed → rule engine. PostgreSQL runs with durable commits
(fsync and synchronous_commit on).

{table}

- readings/s: {readings} readings published at QoS 1 as fast as the broker takes them, until the
  last is stored and its rules evaluated. On 2 cores the publisher, the broker, the worker
  processes and the rules share two CPUs: more workers cannot give more than the idle core.
- CPU µs/reading: CPU seconds of the worker processes, the service process (rules) and the broker
  during the burst, per reading (the publisher is not counted): the cost that sets what a node
  with more cores reaches (about cores × 10⁶ / cost); service CPU µs/reading: the service process's part.
  Machine CPU µs/reading: every busy CPU second of the machine (the PostgreSQL server and the publisher
  included).
- reading p50/p99: publish → stored and rules evaluated, 500 readings sent one every 10 ms.
- Splitting by message (`--partition share`) has a price: MQTT shared subscriptions give no per-device affinity, so each
  process's live cleanser sees only the readings of a sensor that came to it (spike and stuck
  windows stretch by the number of workers), and two processes can hand one sensor's readings to the
  rules out of time order (the rule feed holds the older ones back as late). By device (the default)
  neither happens: each sensor belongs to one process.
- Mosquitto 2.0.11 does not restore `$share` subscriptions from its persistence file: after a broker
  restart, what gateways publish before the worker processes have subscribed again is dropped (the
  single worker's plain persistent subscription is restored). It is a race: one 6,000-reading test
  run with MQTT 5 lost 918 readings, the 100k run of the fault section lost none.
"""
BATCHED_SECTION = """
## Ingest worker processes with batched MQTT messages: readings/s against workers and readings a message{heading}

{provenance}

The path of the section "Ingest worker processes" (same rig, same run for every row), with the burst's
messages each carrying the stated number of consecutive readings of one sensor as a JSON array (the MQTT
batch of `ingest/schema.py`: a device's backlog after a lost link, or a gateway that groups its readings;
1 = one reading a message, as there). Every reading is still checked, converted, cleansed, stored, acknowledged
after commit and fed to the rules on its own; what a batch saves is the per-message cost (broker, MQTT
receive, topic check, PUBACK). Workers {split}. Sensors: {sensors}.

{table}

- readings/s and CPU µs/reading: as in that section, for {readings} readings whatever the grouping; service CPU
  µs/reading: the service process's part of it (receiving the workers' batches, the rule feed and the rule
  engine; also this benchmark's bookkeeping); machine CPU µs/reading: every busy CPU second of the machine (the
  PostgreSQL server and the publisher included).
- With several runs of each row: the median, and in brackets the lowest and highest run.
- reading p50/p99: the 500 paced readings, one a message one every 10 ms, after the burst (as there).
"""


if __name__ == "__main__":
    main()
