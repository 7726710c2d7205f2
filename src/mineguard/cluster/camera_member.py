"""One camera pipeline inside a Ray actor: the camera box's code, one camera, one onnxruntime engine.

The pipeline starts in the constructor, so when Ray restarts the actor (its node died, or the
supervisor killed it for not answering) the camera runs again on the new node without being
told. Events and evidence go to the service through :class:`~mineguard.edge.sink.ServiceSink`,
as ``mineguard watch`` sends them.
"""

from __future__ import annotations

import os
import time

from mineguard.cluster.engine import node_here
from mineguard.cluster.specs import CameraSpec, MemberStatus, ServiceAccess
from mineguard.edge.box import CameraBox
from mineguard.edge.cameras import build_watch
from mineguard.edge.sink import ServiceSink
from mineguard.runtime.predictor import load_predictor


class CameraMember:
    def __init__(self, spec: CameraSpec, service: ServiceAccess) -> None:
        self.spec, self.started_at, self.node = spec, time.time(), node_here()
        detector = load_predictor(spec.model, backend="onnx", threads=spec.threads, conf=spec.conf)
        self.watch = build_watch(spec.plan, detector, realtime=True, loop=spec.loop)
        sink = ServiceSink(service.url, service.gateway_id, service.secret)
        self.box = CameraBox([self.watch], sink, max_fps=spec.max_fps).start()

    def status(self) -> MemberStatus:
        stats = self.box.runner.stats[self.spec.plan.camera]
        return MemberStatus(
            name=self.spec.name,
            node=self.node,
            pid=os.getpid(),
            started_at=self.started_at,
            frames=stats.frames,
            events=stats.events,
            detect_ms=stats.mean_ms().get("detect_ms", 0.0),
            cpu_s=time.process_time(),
            sent=self.box.sink.stats.sent,
            state=self.watch.reader.health().state,
            error=stats.error,
        )

    def stop(self) -> MemberStatus:
        self.box.stop()
        return self.status()
