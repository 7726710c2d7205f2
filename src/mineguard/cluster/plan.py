"""From a site file to the actors to run: one camera spec per camera view, one ingest spec per partition."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mineguard.cluster.specs import CameraSpec, IngestSpec, split_devices
from mineguard.edge.box import HELMET_MODEL, shipped
from mineguard.edge.cameras import parse_camera_overrides, plan_cameras
from mineguard.mine.site import load_site


def plan_cluster(
    site_file: Path | None,
    *,
    cameras: bool = True,
    overrides: Sequence[str] = (),
    model: Path | None = None,
    max_fps: float | None = None,
    threads: int = 1,
    conf: float = 0.25,
    loop: bool = False,
    broker: tuple[str, int] | None = None,
    partitions: int = 0,
) -> tuple[list[CameraSpec], list[IngestSpec]]:
    """The camera and ingest actors of ``site_file``; every problem a ``ValueError`` naming the fix."""
    site = load_site(site_file)
    camera_specs: list[CameraSpec] = []
    if cameras:
        plans = plan_cameras(site, parse_camera_overrides(overrides))
        gates = [p.camera for p in plans if p.view.role == "gate"]
        if gates:
            raise ValueError(
                f"camera(s) {', '.join(gates)} are gate cameras (face identity): run them with `mineguard watch`; "
                "the cluster runs scene cameras (pass the others with --camera ID=SOURCE)"
            )
        detector = model or shipped(HELMET_MODEL, "models")
        if detector is None or not Path(detector).is_file():
            raise ValueError(f"{detector}: no such detector file — pass --model FILE.onnx")
        if Path(detector).suffix != ".onnx":
            raise ValueError(f"{detector}: the cluster runs ONNX exports — `mineguard detect export` it first")
        if max_fps is not None and not max_fps > 0:
            raise ValueError(f"--max-fps must be > 0, got {max_fps}")
        camera_specs = [
            CameraSpec(plan, str(detector), threads=threads, conf=conf, max_fps=max_fps, loop=loop) for plan in plans
        ]
    ingest_specs: list[IngestSpec] = []
    if partitions < 0:
        raise ValueError(f"--partitions is {partitions} — use 0 (no ingest) or more")
    if partitions:
        if broker is None:
            raise ValueError("ingest partitions read the sensors' MQTT broker: pass --mqtt HOST:PORT")
        sensors = [d.id for d in site.devices if d.kind == "sensor"]
        groups = split_devices(sensors, partitions)
        ingest_specs = [
            IngestSpec(site.id, k, partitions, devices, *broker, client_id=f"mineguard-{site.id}-ingest-{k}")
            for k, devices in enumerate(groups)
            if devices
        ]
    if not camera_specs and not ingest_specs:
        raise ValueError("nothing to run: give cameras (--camera ID=SOURCE) or ingest partitions (--partitions N)")
    return camera_specs, ingest_specs
