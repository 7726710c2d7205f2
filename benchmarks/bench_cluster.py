"""Capacity of one Ray node for camera actors at 5 fps, and how long a dead node's cameras take to move.

Cameras: the shipped underground clip (960x540, 5 fps, looped in real time) through the shipped ONNX
helmet detector (YOLOv10-N + CA, 320 px, one onnxruntime thread per actor), one
:class:`~mineguard.cluster.camera_member.CameraMember` actor per camera, events and evidence to a
real service (uvicorn, SQLite) on the same machine. Two views: ``whole`` (one inference a frame) and
``tiled`` (the sample face-gate camera's 3x2 tiles plus the whole frame: 7 inferences a frame,
because the clip's miners are ~25 px wide). For each count of cameras the node (all of this
machine: 2 CPUs) runs them for a window; a camera sustains 5 fps when it judged >= 4.75 frames/s.

Failover: a head without camera slots and two worker nodes; two cameras; the node with the first
one is killed (``remove_node``, no grace) and the time until every camera of it answers from the
other node is measured (GCS health checks every 0.5 s, 4 misses, as in the tests).

    .venv/bin/python benchmarks/bench_cluster.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from local_servers import local_broker, local_ray_cluster
from login_flood import ADMIN_PASSWORD, Service
from mineguard.cluster.specs import CameraSpec, IngestSpec, ServiceAccess, split_devices
from mineguard.cluster.supervisor import ClusterSupervisor, Placement
from mineguard.edge.box import DEMO_CLIP, HELMET_MODEL, shipped
from mineguard.edge.cameras import plan_cameras
from mineguard.mine.site import SAMPLE_SITE, load_site
from mineguard.services.ingest.mqtt import MqttCommunicator
from mineguard.sim.client import ServiceClient
from mineguard.sim.sensors import PROFILES
from results_file import run_lines

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "SCALING.md"
SITE = ROOT / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE
VIEWS = {"whole": "cam-face-1101", "tiled": "cam-face-gate-1101"}  # the sample camera each view copies
SUSTAINED = 4.75


def bench_site(folder: Path, cameras: int) -> Path:
    """The sample site with ``cameras`` extra cameras per view (``bench-<view>-<k>``), events on helmets seen."""
    site = yaml.safe_load(SITE.read_text())
    devices = {d["id"]: d for d in site["devices"]}
    for view, original in VIEWS.items():
        template = devices[original]
        seen = {"detector_class": "helmet", "label": "helmet_seen", "min_confidence": 0.3}
        for k in range(cameras):
            camera = {**template, "id": f"bench-{view}-{k}"}
            camera["view"] = {**template["view"], "events": [*template["view"]["events"], seen]}
            site["devices"].append(camera)
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(site))
    return path


def camera_specs(site_file: Path, view: str, n: int) -> list[CameraSpec]:
    clip, model = shipped(DEMO_CLIP, "demo"), shipped(HELMET_MODEL, "models")
    plans = plan_cameras(load_site(site_file), {f"bench-{view}-{k}": str(clip) for k in range(n)})
    return [CameraSpec(plan, str(model), threads=1, loop=True) for plan in plans]


def capacity(access: ServiceAccess, site_file: Path, view: str, n: int, warm_s: float, window_s: float) -> dict:
    """``n`` cameras of ``view`` on the one node: frames judged per second per camera over ``window_s``."""
    placement = Placement(cpus_per_camera=0, camera_resource="mineguard_camera")
    supervisor = ClusterSupervisor(access, camera_specs(site_file, view, n), placement=placement)
    try:
        supervisor.start(timeout_s=120)
        time.sleep(warm_s)
        before, t0 = supervisor.check().statuses, time.monotonic()
        busy0 = cpu_busy()
        time.sleep(window_s)
        after, t1 = supervisor.check().statuses, time.monotonic()
        busy = (cpu_busy() - busy0) / (t1 - t0)
    finally:
        supervisor.stop()
    names = [k for k in before if k in after]
    fps = [(after[k].frames - before[k].frames) / (t1 - t0) for k in names]
    frames = sum(after[k].frames - before[k].frames for k in names)
    cpu_ms = 1000 * sum(after[k].cpu_s - before[k].cpu_s for k in names) / max(1, frames)
    detect = statistics.mean(s.detect_ms for s in after.values())
    return {"view": view, "cameras": n, "fps": fps, "detect_ms": detect, "cpu_ms": cpu_ms, "cpu": busy}


def cpu_busy() -> float:
    """CPU-seconds all cores spent busy since boot (``/proc/stat``: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest_rate(access: ServiceAccess, service: Service, site_file: Path, readings: int, partitions: int) -> dict:
    """``readings`` published at QoS 1 as fast as the broker takes them → the partitions' actors →
    ``POST /api/v1/readings``: readings/s until the service stored the last, and CPU µs a reading."""
    site = load_site(site_file)
    sensors = [d for d in site.devices if d.kind == "sensor" and d.sensor_kind in PROFILES]
    with local_broker() as broker:
        ingest = [
            IngestSpec(site.id, k, partitions, devices, broker.host, broker.port, client_id=f"bench-ingest-{k}")
            for k, devices in enumerate(split_devices([d.id for d in sensors], partitions))
        ]
        placement = Placement(cpus_per_ingest=0, ingest_resource="mineguard_ingest")
        supervisor = ClusterSupervisor(access, ingest=ingest, placement=placement)
        supervisor.start(timeout_s=120)
        publisher = MqttCommunicator(broker.host, broker.port)
        publisher.start()
        with ServiceClient(service.url, "admin", ADMIN_PASSWORD) as client:
            client.login()
            stored0 = client.reading_stats()["readings"]
            pids = {"service": service.process.pid, "broker": broker._process.pid}
            before = supervisor.check().statuses
            cpu0, t0 = {k: process_cpu_s(pid) for k, pid in pids.items()}, time.monotonic()
            now = datetime.now(UTC).isoformat()
            for i in range(readings):
                device = sensors[i % len(sensors)]
                seq = 1 + i // len(sensors)
                reading = {"device_id": device.id, "kind": device.sensor_kind, "seq": seq, "t": now}
                reading |= {"value": PROFILES[device.sensor_kind][0] + 0.01 * (seq % 7), "unit": device.unit}
                publisher.publish(f"mineguard/{site.id}/{device.id}/{device.sensor_kind}", json.dumps(reading).encode())
            publisher.wait_published(120)
            while client.reading_stats()["readings"] - stored0 < readings:
                if time.monotonic() - t0 > 300:
                    raise RuntimeError("the readings were not all stored within 300 s")
                time.sleep(0.1)
            seconds = time.monotonic() - t0
            after = supervisor.check().statuses
            cpu = {k: process_cpu_s(pid) - cpu0[k] for k, pid in pids.items()}
        cpu["actors"] = sum(after[k].cpu_s - before[k].cpu_s for k in before)
        publisher.stop()
        supervisor.stop()
    us = {k: 1e6 * v / readings for k, v in cpu.items()}
    return {"readings": readings, "partitions": partitions, "rate": readings / seconds, "cpu_us": us}


def failover(access: ServiceAccess, site_file: Path) -> tuple[float, list[str]]:
    with local_ray_cluster(2) as cluster:
        placement = Placement(cpus_per_camera=1, camera_resource="mineguard_camera")
        supervisor = ClusterSupervisor(access, camera_specs(site_file, "whole", 2), placement=placement)
        first = supervisor.start(timeout_s=120)
        victim = first.statuses[supervisor.names[0]].node
        moving = [name for name, s in first.statuses.items() if s.node == victim]
        killed_at = time.monotonic()
        cluster.remove_node(next(w for w in cluster.workers if w.node_id == victim), allow_graceful=False)
        while True:
            statuses = supervisor.check().statuses
            if all(name in statuses and statuses[name].node != victim for name in moving):
                break
            if time.monotonic() - killed_at > 120:
                raise RuntimeError("the cameras did not move within 120 s")
            time.sleep(0.25)
        seconds = time.monotonic() - killed_at
        supervisor.stop()
        return seconds, moving


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole", type=int, nargs="*", default=[2, 4, 6, 8], help="camera counts, whole frame")
    parser.add_argument("--tiled", type=int, nargs="*", default=[1, 2], help="camera counts, tiled view")
    parser.add_argument("--warm-s", type=float, default=4.0)
    parser.add_argument("--window-s", type=float, default=12.0)
    parser.add_argument("--failovers", type=int, default=2)
    parser.add_argument("--readings", type=int, default=20000, help="readings through the ingest actors (0: skip)")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--write", action="store_true", help=f"write the table into {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    rows, moves, ingest = [], [], None
    with tempfile.TemporaryDirectory() as tmp:
        site_file = bench_site(Path(tmp), max([*args.whole, *args.tiled, 1]))
        service = Service({"MINEGUARD_SITE_FILE": str(site_file)}, Path(tmp))
        try:
            with ServiceClient(service.url, "admin", ADMIN_PASSWORD) as client:
                client.login()
                access = ServiceAccess(service.url, "gw-faces", client.register_gateway("gw-faces"))
            slots = {"mineguard_camera": 64, "mineguard_ingest": 64}
            with local_ray_cluster(0, head_cpus=2, head_resources=slots):
                if args.readings:
                    ingest = ingest_rate(access, service, site_file, args.readings, args.partitions)
                    print(ingest, file=sys.stderr, flush=True)
                for view, counts in (("whole", args.whole), ("tiled", args.tiled)):
                    for n in counts:
                        row = capacity(access, site_file, view, n, args.warm_s, args.window_s)
                        print(row, file=sys.stderr, flush=True)
                        rows.append(row)
            for _ in range(args.failovers):
                moves.append(failover(access, site_file))
                print(moves[-1], file=sys.stderr, flush=True)
        finally:
            service.stop()
    parts = render(rows, moves, ingest)
    print("\n\n".join(parts.values()))
    if args.write:
        text = RESULTS.read_text()
        for part, table in parts.items():
            opening, closing = f"<!-- bench_cluster:{part} -->", f"<!-- /bench_cluster:{part} -->"
            before, rest = text.split(opening, 1)
            text = before + opening + "\n" + table + "\n" + closing + rest.split(closing, 1)[1]
        RESULTS.write_text(text)
    return 0


def render(rows: list[dict], moves: list[tuple[float, list[str]]], ingest: dict | None) -> dict[str, str]:
    """The measured tables by part (cameras, failover, ingest), each with the command, date and machine."""
    how = run_lines("python benchmarks/bench_cluster.py " + " ".join(sys.argv[1:]), load=True)
    parts = {}
    if rows:
        lines = [
            how,
            "",
            "| view | cameras on the node | inferences a frame | judged fps per camera (min / mean) "
            "| all cameras fps | detector ms a frame | actor CPU ms a frame | cameras at 5 fps a core "
            "| machine CPU busy (of 2) | all sustain 5 fps |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            fps = row["fps"]
            lines.append(
                f"| {row['view']} | {row['cameras']} | {7 if row['view'] == 'tiled' else 1} "
                f"| {min(fps):.2f} / {statistics.mean(fps):.2f} | {sum(fps):.1f} | {row['detect_ms']:.0f} "
                f"| {row['cpu_ms']:.0f} | {1000 / (5 * row['cpu_ms']):.1f} | {row['cpu']:.2f} "
                f"| {'yes' if min(fps) >= SUSTAINED else 'no'} |"
            )
        parts["cameras"] = "\n".join(lines)
    if moves:
        lines = [how, "", "| failover run | actors moved | seconds from node killed to all answering elsewhere |"]
        lines += ["|---|---|---|", *(f"| {k} | {', '.join(m)} | {t:.1f} |" for k, (t, m) in enumerate(moves, 1))]
        parts["failover"] = "\n".join(lines)
    if ingest is not None:
        us = ingest["cpu_us"]
        parts["ingest"] = "\n".join(
            [
                how,
                "",
                "| ingest path | readings | partitions (actors) | readings/s "
                "| CPU µs a reading: service / actors / broker / all |",
                "|---|---|---|---|---|",
                f"| MQTT → ingest actors → POST /api/v1/readings → SQLite + rules | {ingest['readings']} "
                f"| {ingest['partitions']} | {ingest['rate']:.0f} | {us['service']:.0f} / {us['actors']:.0f} "
                f"/ {us['broker']:.0f} / {sum(us.values()):.0f} |",
            ]
        )
    return parts


if __name__ == "__main__":
    sys.exit(main())
