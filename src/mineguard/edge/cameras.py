"""From the site file's cameras to running camera pipelines.

:func:`plan_cameras` picks the cameras to watch (each camera device with a ``view``, or one the
command line gives a source for) and :func:`build_watch` turns one into a
:class:`~mineguard.runtime.watch.CameraWatch`: its reader, a tracker, and the scene rules of its
view checked against the detector's class names. Every problem names the camera and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mineguard.faces.gate import GateSettings, GateWatch
from mineguard.faces.gate.decide import Embedder
from mineguard.faces.identify import Identifier
from mineguard.faces.quality import QualityGates
from mineguard.mine.cameras import CameraView
from mineguard.mine.site import SiteConfig
from mineguard.runtime.scene import ClassRule, Region, SceneJudge, SceneRules
from mineguard.runtime.scene.gate_line import GateLine
from mineguard.runtime.tiles import TiledDetector, TileGrid
from mineguard.runtime.tracking import ByteTrackConfig, ByteTracker
from mineguard.runtime.video import CameraReader, SourceOptions
from mineguard.runtime.watch import CameraWatch, Detector


@dataclass(frozen=True)
class CameraPlan:
    camera: str
    zone: str
    source: str
    view: CameraView


def parse_camera_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["cam-1=rtsp://...", "cam-2=clip.mp4"]`` → {camera: source}; a clear error otherwise."""
    overrides: dict[str, str] = {}
    for item in items:
        camera, sep, source = item.partition("=")
        if not sep or not camera or not source:
            raise ValueError(f"--camera {item!r}: write it as CAMERA_ID=SOURCE (a URL, file, folder or webcam index)")
        overrides[camera] = source
    return overrides


def plan_cameras(site: SiteConfig, overrides: Mapping[str, str] | None = None) -> list[CameraPlan]:
    """The cameras to watch: those named in ``overrides`` (with those sources) when there are any,
    else every camera whose view has a source."""
    overrides = dict(overrides or {})
    cameras = {d.id: d for d in site.devices if d.kind == "camera"}
    unknown = sorted(set(overrides) - set(cameras))
    if unknown:
        known = ", ".join(sorted(cameras)) or "none"
        raise ValueError(f"--camera {', '.join(unknown)}: not a camera of site {site.id!r} (its cameras: {known})")
    plans = []
    for camera_id, device in cameras.items():
        if overrides and camera_id not in overrides:
            continue
        if camera_id not in overrides and (device.view is None or device.view.source is None):
            continue
        view = device.view or CameraView()
        source = overrides.get(camera_id) or view.resolved_source(camera_id)
        plans.append(CameraPlan(camera_id, device.zone, source, view))
    if not plans:
        raise ValueError(
            f"site {site.id!r} has no camera to watch: give a camera a view.source in the site file or pass "
            "--camera CAMERA_ID=SOURCE"
        )
    return plans


def build_watch(plan: CameraPlan, detector: Detector, *, realtime: bool = True, loop: bool = False) -> CameraWatch:
    """``loop``: play a recording again from the start when it ends (the demo's camera)."""
    view = plan.view
    regions = [Region(r.name, r.kind, tuple(r.polygon), r.zone) for r in view.regions]
    rules = SceneRules(
        class_events=tuple(ClassRule(e.detector_class, e.label, e.min_confidence) for e in view.events),
        person_classes=tuple(view.person_classes),
        raise_s=view.raise_s,
        clear_s=view.clear_s,
        loiter_s=view.loiter_s,
    )
    if view.tiles is not None:
        detector = TiledDetector(detector, TileGrid(view.tiles.cols, view.tiles.rows, view.tiles.overlap))
    judge = SceneJudge(plan.camera, plan.zone, list(detector.names), regions, rules)
    options = SourceOptions(fps=view.fps, rtsp_transport=view.rtsp_transport, loop=loop)
    reader = CameraReader(plan.camera, plan.source, options, realtime=realtime)
    thresholds = view.tracker
    tracker = ByteTracker(
        ByteTrackConfig(
            track_thresh=thresholds.track_thresh,
            low_thresh=thresholds.low_thresh,
            new_track_thresh=thresholds.new_track_thresh,
            frame_rate=view.fps,
        )
    )
    return CameraWatch(plan.camera, reader, detector, judge, tracker, regions=regions, clip_s=view.clip_s)


def build_gate_watch(
    plan: CameraPlan, embedder: Embedder, identifier: Identifier, *, realtime: bool = True
) -> GateWatch:
    """A gate camera (``view.role: gate``): faces, tracks and one identity decision per person passing."""
    view, gate = plan.view, plan.view.gate
    if gate is None:
        raise ValueError(f"camera {plan.camera!r}: view.role is not 'gate' — build it with build_watch")
    (a, b), side = gate.line, gate.underground_side
    settings = GateSettings(
        line=GateLine(a, b, side),
        hysteresis_px=gate.hysteresis_px,
        best_crops=gate.best_crops,
        crop_size=getattr(embedder, "img_size", 112),  # the crop the network was trained on
        gates=QualityGates(
            min_side_px=gate.min_face_px, min_blur=gate.min_blur, min_frontal=gate.min_frontal, max_dust=gate.max_dust
        ),
    )
    reader = CameraReader(
        plan.camera, plan.source, SourceOptions(fps=view.fps, rtsp_transport=view.rtsp_transport), realtime=realtime
    )
    tracker = ByteTracker(ByteTrackConfig(frame_rate=view.fps))
    return GateWatch(plan.camera, plan.zone, reader, settings, embedder, identifier, tracker=tracker)
