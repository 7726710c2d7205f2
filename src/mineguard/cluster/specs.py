"""What the supervisor hands each actor: plain, picklable records (no Ray in them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mineguard.edge.cameras import CameraPlan
from mineguard.services.ingest.bus import partition_of


@dataclass(frozen=True)
class ServiceAccess:
    """The service every actor talks to, as a registered gateway (``POST .../gateways/{id}/register``)."""

    url: str
    gateway_id: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class CameraSpec:
    """One camera actor: its plan (from the site file), the detector file, and its share of a node."""

    plan: CameraPlan
    model: str
    threads: int = 1  # onnxruntime intra-op threads of this camera's engine
    conf: float = 0.25
    max_fps: float | None = None  # at most this many frames judged per second; None: every frame the camera sends
    loop: bool = False  # play a recording again from the start when it ends (demo clips)

    @property
    def name(self) -> str:
        return f"camera:{self.plan.camera}"


@dataclass(frozen=True)
class IngestSpec:
    """One ingest actor: the sensors of one partition, taken from the broker and posted to the service."""

    site_id: str
    partition: int
    partitions: int
    devices: tuple[str, ...]
    broker_host: str
    broker_port: int
    client_id: str  # fixed per partition: a restarted actor gets the broker session (and what it queued) back
    batch_size: int = 500
    max_delay_s: float = 0.05

    @property
    def name(self) -> str:
        return f"ingest:{self.partition}"

    def topics(self) -> list[str]:
        return [f"mineguard/{self.site_id}/{device}/+" for device in self.devices]


@dataclass(frozen=True)
class MemberStatus:
    """What one actor says about itself (``status()``); ``node`` is the Ray node it runs on."""

    name: str
    node: str
    pid: int
    started_at: float  # time.time() when this incarnation started
    frames: int = 0  # camera: frames judged by this incarnation
    events: int = 0  # camera: vision events raised or cleared
    detect_ms: float = 0.0  # camera: mean detector time a frame (tiles included)
    cpu_s: float = 0.0  # CPU seconds of the actor's process since it started (all its threads)
    sent: int = 0  # events (camera) or readings (ingest) the service took, duplicates included
    stored: int = 0  # ingest: readings the service stored for the first time
    duplicates: int = 0  # ingest: readings the service already had
    rejected: int = 0  # ingest: readings the service refused (kept in its rejects)
    waiting: int = 0  # ingest: messages taken from the broker and not yet acknowledged
    state: str = "running"  # camera: its reader's state (streaming, reconnecting, ...)
    error: str | None = None


def split_devices(devices: Sequence[str], partitions: int) -> list[tuple[str, ...]]:
    """``devices`` in ``partitions`` groups by :func:`partition_of` (each device in exactly one)."""
    groups: list[list[str]] = [[] for _ in range(partitions)]
    for device in devices:
        groups[partition_of(device, partitions)].append(device)
    return [tuple(group) for group in groups]
