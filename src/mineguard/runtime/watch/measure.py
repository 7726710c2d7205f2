"""How fast one camera's pipeline runs: end-to-end fps and the milliseconds of each stage.

:func:`measure_watch` judges ``frames`` frames of a :class:`CameraWatch` back to back (a recording
in offline mode, so no frame is dropped and the reader's decoding is what the pipeline waits for)
and splits each frame into decode wait, letterbox, model, post-processing, tracking, rules and
evidence. ``mineguard bench video`` and ``benchmarks/bench_video.py`` both report it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from mineguard.runtime.watch.pipeline import CameraWatch

STAGES = (
    "wait_ms",
    "preprocess_ms",
    "inference_ms",
    "postprocess_ms",
    "track_ms",
    "rules_ms",
    "evidence_ms",
)


@dataclass(frozen=True)
class PipelineSpeed:
    frames: int
    fps: float
    wait_ms: float  # decoding, on the reader's thread: what the pipeline waited for
    preprocess_ms: float
    inference_ms: float
    postprocess_ms: float
    track_ms: float
    rules_ms: float
    evidence_ms: float

    def cameras_at(self, fps: float, cores: float = 1.0) -> float:
        """Cameras of ``fps`` frames a second that ``cores`` such pipelines keep up with."""
        return cores * self.fps / fps

    def to_json(self) -> dict[str, float]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def measure_watch(watch: CameraWatch, frames: int, *, warmup: int = 1, timeout_s: float = 10.0) -> PipelineSpeed:
    """Judge ``warmup`` frames untimed, then ``frames`` timed; a clear error when the source runs dry."""
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    watch.reader.start()  # a no-op when it runs already
    for _ in range(warmup):
        watch.step(timeout_s)
    rows: list[tuple[float, ...]] = []
    start = time.perf_counter()
    for _ in range(frames):
        outcome = watch.step(timeout_s)
        if outcome is None:
            raise ValueError(f"camera {watch.camera!r}: no frame within {timeout_s} s after {len(rows)} frames")
        t = outcome.times
        split = getattr(watch.detector, "last_ms", None)
        pre, infer, post = (
            (split.preprocess_ms, split.inference_ms, split.postprocess_ms)
            if split is not None
            else (0.0, t.detect_ms, 0.0)
        )
        rows.append((t.wait_ms, pre, infer, post, t.track_ms, t.rules_ms, t.evidence_ms))
    wall = time.perf_counter() - start
    means = np.mean(np.array(rows), axis=0)
    return PipelineSpeed(frames, frames / wall, *(float(m) for m in means))
