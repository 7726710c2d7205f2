"""Figure: the live camera path end to end — fps and per-stage ms — against Ultralytics on the same clip.

MineGuard: a 720p clip through ``CameraWatch`` (decode on the reader thread, letterbox + model +
post-processing, ByteTrack, scene rules with one region and one class event, evidence only for
raised events), every frame judged (offline mode), for each model, input size, thread count and
backend (eager PyTorch, onnxruntime). Peer: ``ultralytics`` (installed only for this benchmark,
never a MineGuard dependency) ``model.track(..., tracker="bytetrack.yaml")`` on the same decoded
frames, YOLOv10n and its newest default nano model, PyTorch and its own ONNX export. Weights are
untrained on both sides (built from config; nothing is downloaded) — speed does not depend on
them, but the number of boxes the tracker sees does, so both sides keep boxes above 0.25.

Also measured: this CPU's float32 GEMM rate (a 2048² matmul), from which each model's FLOPs give a
lower bound on its inference time; cameras per core at 5 fps; resident memory per extra camera.

    YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false .venv/bin/python benchmarks/bench_video.py [--frames 60]
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from bench_onnx_runtime import make_checkpoint
from machine_info import describe
from mineguard.data.demo_clip import make_demo_clip
from mineguard.models import get_model
from mineguard.models.profile import profile_model
from mineguard.runtime.export import export_onnx
from mineguard.runtime.predictor import load_predictor
from mineguard.runtime.scene import ClassRule, Region, SceneJudge, SceneRules
from mineguard.runtime.tracking import ByteTracker
from mineguard.runtime.video import CameraReader, SourceOptions
from mineguard.runtime.watch import STAGES, CameraWatch, WatchRunner, measure_watch
from results_file import run_report

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["helmet", "no_helmet"]


def gemm_gflops(threads: int, n: int = 2048, runs: int = 5) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(runs):
        a @ b
    return 2 * n**3 * runs / (time.perf_counter() - start) / 1e9


def wide_height(size: int) -> int:
    """The input height that fits a 16:9 picture ``size`` wide, rounded up to the stride (32)."""
    return -(-size * 9 // (16 * 32)) * 32


def model_gflops(name: str, size: int) -> float:
    return profile_model(get_model(name, num_classes=len(NAMES)).eval(), img_size=size).gflops


def run_mineguard(clip: Path, detector, frames: int, clip_s: float) -> dict[str, float]:
    region = Region("bay", "restricted", ((640, 360), (1280, 360), (1280, 720), (640, 720)))
    rules = SceneRules(class_events=(ClassRule("no_helmet", "no_helmet"),), person_classes=tuple(NAMES))
    judge = SceneJudge("cam", "zone", NAMES, [region], rules)
    reader = CameraReader("cam", str(clip), SourceOptions(loop=True), realtime=False)
    watch = CameraWatch("cam", reader, detector, judge, ByteTracker(), regions=[region], clip_s=clip_s)
    try:
        speed = measure_watch(watch, frames)
    finally:
        watch.close()
    return {"fps": speed.fps, **{stage: getattr(speed, stage) for stage in STAGES}}


def decoded_frames(clip: Path, count: int) -> list[np.ndarray]:
    import av

    out = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            out.append(frame.to_ndarray(format="bgr24"))  # Ultralytics takes BGR like OpenCV
            if len(out) == count:
                break
    return out


def run_peer(weights: str, frames: list[np.ndarray], size: int | list[int], threads: int) -> float:
    from ultralytics import YOLO

    torch.set_num_threads(threads)
    model = YOLO(weights, task="detect")
    kw = {"imgsz": size, "device": "cpu", "verbose": False, "conf": 0.25, "persist": True, "tracker": "bytetrack.yaml"}
    model.track(frames[0], **kw)
    backend = getattr(model.predictor.model, "backend", None)
    if hasattr(backend, "session"):  # its ONNX session runs on every core by default: hold it to `threads`
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        backend.session = ort.InferenceSession(weights, options, providers=["CPUExecutionProvider"])
        assert backend.session.get_session_options().intra_op_num_threads == threads
        model.track(frames[0], **kw)
    start = time.perf_counter()
    for frame in frames:
        model.track(frame, **kw)
    return len(frames) / (time.perf_counter() - start)


def peer_export(cfg: str, imgsz: int | list[int], tmp: Path) -> str | None:
    """The peer's ONNX export of ``cfg`` at ``imgsz``, moved to a file of its own in ``tmp`` (the
    exporter writes ``<name>.onnx`` into the working directory, the same name for every size)."""
    from ultralytics import YOLO

    h, w = (imgsz, imgsz) if isinstance(imgsz, int) else imgsz
    here = Path.cwd()
    os.chdir(tmp)
    try:
        written = Path(YOLO(cfg).export(format="onnx", imgsz=imgsz, simplify=False))
    except Exception as exc:  # the peer's exporter failing is a result too
        print(f"ultralytics export of {cfg} at {imgsz} failed: {exc}", flush=True)
        return None
    finally:
        os.chdir(here)
    kept = tmp / f"peer_{cfg.removesuffix('.yaml')}_{h}x{w}.onnx"
    shutil.move(tmp / written if not written.is_absolute() else written, kept)
    return str(kept)


def peer_rows(tmp: Path, frames: list[np.ndarray], sizes: list[int], threads: list[int]) -> list[dict[str, object]]:
    """The peer's PyTorch weights (letterboxed to the smallest stride multiple: 320x192 for this
    clip), its square ONNX export (its default) and an export at the clip's shape."""
    rows = []
    for cfg in ("yolov10n.yaml", "yolo26n.yaml"):
        for size in sizes:
            wide = [wide_height(size), size]
            runs = [
                ("torch", cfg, size, size),
                ("onnx", peer_export(cfg, size, tmp), size, size),
                ("onnx rect", peer_export(cfg, wide, tmp), wide, f"{wide[0]}x{wide[1]}"),
            ]
            for n in threads:
                for backend, weights, imgsz, px in runs:
                    if weights is None:
                        continue
                    fps = run_peer(weights, frames, imgsz, n)
                    row = {"who": f"ultralytics {cfg.removesuffix('.yaml')}", "size": px, "threads": n}
                    rows.append({**row, "backend": backend, "fps": fps})
                    print(rows[-1], flush=True)
    return rows


class NullSink:
    def send(self, camera, events, evidence) -> None:
        pass

    def health(self, health) -> None:
        pass


def several_cameras_fps(clip: Path, onnx_path: Path, threads: int, *, batch: bool, cameras: int, frames: int) -> float:
    """Frames judged per second in all, ``cameras`` cameras of the clip on one detector (a
    dynamic-batch export), one at a time or detected together each round."""
    detector = load_predictor(onnx_path, threads=threads)
    watches = []
    for i in range(cameras):
        judge = SceneJudge(f"c{i}", "z", NAMES, [], SceneRules(person_classes=tuple(NAMES)))
        reader = CameraReader(f"c{i}", str(clip), SourceOptions(loop=True), realtime=False)
        watches.append(CameraWatch(f"c{i}", reader, detector, judge, ByteTracker(), clip_s=5.0))
    detector.predict_batch([np.zeros((720, 1280, 3), np.uint8)] * cameras)  # warm-up (the run closes the readers)
    start = time.perf_counter()
    stats = WatchRunner(watches, NullSink(), batch=batch).run(max_frames=cameras * frames)
    return sum(s.frames for s in stats.values()) / (time.perf_counter() - start)


def memory_per_camera_mb(clip: Path, detector, cameras: int = 4, frames: int = 30) -> float:
    """Growth of the resident set from 1 to ``cameras`` cameras on the clip (readers, trackers, 5 s clip buffers)."""

    def peak_after(n: int) -> float:
        watches = []
        for i in range(n):
            judge = SceneJudge(f"c{i}", "z", NAMES, [], SceneRules())
            reader = CameraReader(f"c{i}", str(clip), SourceOptions(loop=True), realtime=False).start()
            watches.append(CameraWatch(f"c{i}", reader, detector, judge, ByteTracker(), clip_s=5.0))
        for _ in range(frames):
            for w in watches:
                w.step(10)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for w in watches:
            w.close()
        return rss

    one = peak_after(1)
    return (peak_after(cameras) - one) / (cameras - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="yolov10n,ca-yolov10n")
    parser.add_argument("--sizes", default="320,640")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--frames", type=int, default=60, help="frames timed per row")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--no-peer", action="store_true", help="skip the Ultralytics rows")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "runtime_video.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    sizes, threads = [int(s) for s in args.sizes.split(",")], [int(t) for t in args.threads.split(",")]
    before = describe(torch.get_num_threads())
    gemm = {n: gemm_gflops(n) for n in threads}
    print("GEMM GFLOP/s", gemm, flush=True)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        frames_dir = args.shared / "data" / "frames" / "underground_coalmine"
        if frames_dir.is_dir():
            clip = make_demo_clip(frames_dir, tmp / "clip720.mp4", width=1280, hold_s=1.0)
        else:
            clip = ROOT / "src" / "mineguard" / "edge" / "demo" / "underground_coalmine.mp4"
        for name in args.models.split(","):
            ckpt = make_checkpoint(tmp, name)
            for size in sizes:
                onnx_path = export_onnx(ckpt, tmp / f"{name}_{size}.onnx", img_size=size)
                wide = (wide_height(size), size)  # the 16:9 clip's own shape: --shape HxW at export
                rect_path = export_onnx(ckpt, tmp / f"{name}_{size}_rect.onnx", img_size=wide)
                bound_ms = {n: model_gflops(name, size) / gemm[n] * 1000 for n in threads}
                for n in threads:
                    runs = (("torch", ckpt, 1.0), ("onnx", onnx_path, 1.0), ("onnx rect", rect_path, wide[0] / size))
                    for backend, weights, share in runs:
                        detector = load_predictor(
                            weights, backend=backend.split()[0], threads=n, device="cpu", img_size=size
                        )
                        torch.set_num_threads(n)
                        result = run_mineguard(clip, detector, args.frames, clip_s=5.0)
                        px = size if share == 1.0 else f"{wide[0]}x{wide[1]}"
                        row = {"who": f"mineguard {name}", "size": px, "threads": n, "backend": backend, **result}
                        rows.append({**row, "bound_ms": bound_ms[n] * share})
                        print(rows[-1], flush=True)
        detector = load_predictor(tmp / f"{args.models.split(',')[0]}_{sizes[0]}.onnx", threads=1)
        per_camera_mb = memory_per_camera_mb(clip, detector)
        first = args.models.split(",")[0]
        dynamic = export_onnx(
            make_checkpoint(tmp, first),
            tmp / "dyn.onnx",
            img_size=(wide_height(sizes[0]), sizes[0]),
            dynamic_batch=True,
        )
        several = []
        for n in threads:
            for batch in (False, True):
                fps = several_cameras_fps(clip, dynamic, n, batch=batch, cameras=4, frames=args.frames // 2 or 1)
                several.append({"model": first, "px": sizes[0], "threads": n, "batch": batch, "fps": fps})
                print(several[-1], flush=True)
        if not args.no_peer:
            os.environ.setdefault("YOLO_OFFLINE", "1")
            os.environ.setdefault("YOLO_AUTOINSTALL", "false")
            rows += peer_rows(tmp, decoded_frames(clip, args.frames), sizes, threads)
    table = to_markdown(rows) + "\n\nFour cameras of the clip on one detector (dynamic-batch 16:9 export), "
    table += "frames judged per second in all:\n\n"
    table += "| model | input | threads | detection | fps, 4 cameras | cameras at 5 fps |\n|---|---|---|---|---|---|\n"
    table += "\n".join(
        f"| {r['model']} | {wide_height(r['px'])}x{r['px']} | {r['threads']} | "
        f"{'one batch per round' if r['batch'] else 'camera by camera'} | {r['fps']:.1f} | {r['fps'] / 5:.1f} |"
        for r in several
    )
    print(table)
    extra = f"float32 GEMM (2048²): {', '.join(f'{g:.1f} GFLOP/s on {n} thread(s)' for n, g in gemm.items())}. "
    extra += f"Resident memory per extra camera (reader, tracker, 5 s clip buffer at 480 px): {per_camera_mb:.1f} MB."
    text = run_report(
        "The live camera path: end-to-end fps and per-stage ms, MineGuard vs Ultralytics",
        command="python benchmarks/bench_video.py " + shlex.join(sys.argv[1:]),
        machine_start=before,
        machine_end=describe(torch.get_num_threads()),
        protocol=f"1280x720 H.264 clip of the 12 underground frames (each held 1 s, slow zoom); {args.frames} frames "
        "timed after one warm-up, every frame judged; untrained weights on both sides, conf 0.25; "
        "MineGuard: CameraWatch (ByteTrack, one restricted region, one class event, 5 s clip buffer of "
        "annotated frames); 'onnx rect' is an export at the clip's 16:9 shape (`mineguard detect export "
        "--shape 192x320`); peer: model.track(tracker=bytetrack.yaml) on frames decoded beforehand — with "
        "PyTorch weights it letterboxes to the smallest stride multiple (320x192 too), its ONNX export is square",
        table=table,
        note=(extra + " " + args.note).strip(),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")


def to_markdown(rows: list[dict[str, object]]) -> str:
    lines = [
        "| pipeline | px | threads | backend | fps | decode wait ms | letterbox ms | model ms | post ms | track ms "
        "| rules ms | evidence ms | FLOPs bound ms | cameras/core at 5 fps |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per_core = float(r["fps"]) / int(r["threads"]) / 5
        if "inference_ms" in r:
            stages = " | ".join(f"{float(r[stage]):.2f}" for stage in STAGES)
            stages += f" | {float(r['bound_ms']):.1f} | {per_core:.1f}"
        else:
            stages = " | ".join("—" for _ in STAGES) + f" | — | {per_core:.1f}"
        lines.append(f"| {r['who']} | {r['size']} | {r['threads']} | {r['backend']} | {r['fps']:.1f} | {stages} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
