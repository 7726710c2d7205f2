"""Places the camera and ingest actors on the cluster, watches them, and moves those of a dead node.

Placement: one actor per camera with ``cpus_per_camera`` of a node's CPUs, spread over the nodes
(``SPREAD``); a custom resource (``camera_resource``: nodes started with
``ray start --resources '{"mineguard_camera": 4}'``) keeps cameras off nodes that should not run
them (the head, the database's node). Ingest actors, one per partition, likewise.

Two mechanisms move a camera: Ray restarts an actor whose node died (``max_restarts=-1``) on a
node that has room, and the supervisor's own check asks every actor for its status each round —
an actor that is alive but has not answered for ``answer_s`` is killed and so started again (and
given ``restart_s`` to come back before it is killed again), and
one that Ray gave up on is created anew. Each time an actor answers from another node than before,
the round reports a :class:`Move` with how long its name went without an answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mineguard.cluster.camera_member import CameraMember
from mineguard.cluster.engine import require_ray
from mineguard.cluster.ingest_member import IngestMember
from mineguard.cluster.specs import CameraSpec, IngestSpec, MemberStatus, ServiceAccess

log = logging.getLogger(__name__)
NAMESPACE = "mineguard"


@dataclass(frozen=True)
class Placement:
    cpus_per_camera: float = 1.0
    cpus_per_ingest: float = 0.5
    camera_resource: str | None = None  # custom resource a node offers per camera slot; None: any node
    ingest_resource: str | None = None
    answer_s: float = 10.0  # an actor alive but silent this long is killed (and so restarted)
    restart_s: float = 60.0  # after killing it, how long its restart may take before it is killed again
    recreate_limit: int = 3  # times an actor Ray gave up on is created anew before it is reported as failed


@dataclass(frozen=True)
class Move:
    name: str
    from_node: str
    to_node: str
    gap_s: float  # from its last answer on the old node to its first on the new one


@dataclass
class Round:
    """One check of every actor: who answered (and from where), who did not, who moved."""

    statuses: dict[str, MemberStatus] = field(default_factory=dict)
    silent: dict[str, str] = field(default_factory=dict)  # name -> why it did not answer
    moves: list[Move] = field(default_factory=list)


@dataclass
class _Member:
    name: str
    build: Callable[[], Any]
    handle: Any = None
    last_ok: float | None = None
    node: str | None = None
    silent_since: float | None = None
    killed_at: float | None = None
    recreated: int = 0


class ClusterSupervisor:
    def __init__(
        self,
        service: ServiceAccess,
        cameras: Sequence[CameraSpec] = (),
        ingest: Sequence[IngestSpec] = (),
        placement: Placement | None = None,
    ) -> None:
        if not cameras and not ingest:
            raise ValueError("nothing to run on the cluster: give cameras, ingest partitions or both")
        self.ray = require_ray()
        self.placement = placement or Placement()
        p, ray = self.placement, self.ray
        camera_actor = ray.remote(CameraMember)
        ingest_actor = ray.remote(IngestMember)
        self._members = [
            _Member(spec.name, self._builder(camera_actor, spec, service, p.cpus_per_camera, p.camera_resource))
            for spec in cameras
        ] + [
            _Member(spec.name, self._builder(ingest_actor, spec, service, p.cpus_per_ingest, p.ingest_resource))
            for spec in ingest
        ]
        self.moves: list[Move] = []

    def _builder(self, actor: Any, spec: Any, service: ServiceAccess, cpus: float, resource: str | None):
        options = {
            "name": spec.name,
            "namespace": NAMESPACE,
            "num_cpus": cpus,
            "max_restarts": -1,
            "max_task_retries": 0,
            "scheduling_strategy": "SPREAD",
        }
        if resource:
            options["resources"] = {resource: 1}
        return lambda: actor.options(**options).remote(spec, service)

    @property
    def names(self) -> list[str]:
        return [m.name for m in self._members]

    def start(self, timeout_s: float = 120.0) -> Round:
        """Create every actor and wait until each has answered once (its pipeline is running)."""
        for member in self._members:
            member.handle = member.build()
        deadline = time.monotonic() + timeout_s
        last = self.check()
        while last.silent and time.monotonic() < deadline:
            time.sleep(0.5)
            last = self.check()
        if last.silent:
            why = "; ".join(f"{name}: {reason}" for name, reason in sorted(last.silent.items()))
            raise RuntimeError(f"not every actor started within {timeout_s:g} s — {why}")
        return last

    def check(self) -> Round:
        """Ask every actor for its status once; restart the silent, recreate the dead, report moves."""
        ray, now, result = self.ray, time.monotonic(), Round()
        refs = {m.name: m.handle.status.remote() for m in self._members}
        deadline = now + self.placement.answer_s / 2
        for member in self._members:
            try:
                status = ray.get(refs[member.name], timeout=max(0.1, deadline - time.monotonic()))
            except ray.exceptions.GetTimeoutError:
                self._silent(member, result, "no answer (busy or hung)", kill=True)
            except ray.exceptions.ActorUnavailableError:
                self._silent(member, result, "restarting (its node or process went away)", kill=False)
            except ray.exceptions.RayActorError as exc:
                self._dead(member, result, exc)
            else:
                self._answered(member, status, result)
        return result

    def _answered(self, member: _Member, status: MemberStatus, result: Round) -> None:
        now = time.monotonic()
        if member.node is not None and status.node != member.node:
            move = Move(member.name, member.node, status.node, now - (member.last_ok or now))
            log.warning("%s moved from node %s to %s (%.1f s without an answer)", *vars(move).values())
            result.moves.append(move)
            self.moves.append(move)
        member.node, member.last_ok, member.silent_since, member.killed_at = status.node, now, None, None
        result.statuses[member.name] = status

    def _silent(self, member: _Member, result: Round, why: str, *, kill: bool) -> None:
        now = time.monotonic()
        member.silent_since = member.silent_since or now
        result.silent[member.name] = why
        restarting = member.killed_at is not None and now - member.killed_at < self.placement.restart_s
        if kill and not restarting and now - member.silent_since > self.placement.answer_s:
            log.error("%s has not answered for %.0f s: restarting it", member.name, now - member.silent_since)
            self.ray.kill(member.handle, no_restart=False)
            member.killed_at = now

    def _dead(self, member: _Member, result: Round, exc: Exception) -> None:
        if member.recreated >= self.placement.recreate_limit:
            result.silent[member.name] = f"failed, not started again: {str(exc)[:300]}"
            return
        member.recreated += 1
        log.error("%s died for good (%s): creating it again", member.name, str(exc)[:200])
        member.handle = member.build()
        result.silent[member.name] = "created again"

    def run(self, stop: threading.Event, *, every_s: float = 2.0, on_round: Callable[[Round], None] | None = None):
        """Check every ``every_s`` until ``stop`` is set."""
        while not stop.wait(every_s):
            result = self.check()
            if on_round is not None:
                on_round(result)

    def stop(self, timeout_s: float = 30.0) -> dict[str, MemberStatus | None]:
        """Ask each actor to stop (cameras clear what they raised, ingest sends what it took), then end them."""
        ray, final = self.ray, {}
        refs = {m.name: m.handle.stop.remote() for m in self._members if m.handle is not None}
        for member in self._members:
            try:
                final[member.name] = ray.get(refs[member.name], timeout=timeout_s) if member.name in refs else None
            except (ray.exceptions.RayError, KeyError) as exc:
                log.warning("%s did not stop cleanly: %s", member.name, exc)
                final[member.name] = None
            if member.handle is not None:
                ray.kill(member.handle, no_restart=True)
        return final
