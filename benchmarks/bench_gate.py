"""Milliseconds per frame of a gate camera (faces/gate GateWatch) on att_orl faces walking across the
gate line (the tests' synthetic footage), split into face detection and the rest (tracking, alignment,
quality gates, embedding at decisions). Untrained width-0.125 DSR-Inception at 64 px: the network's
weights do not change its speed. One torch thread.

    PYTHONPATH=src:tests/support python benchmarks/bench_gate.py --data ../shared/data --walks 5
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import torch

from gate_sequences import LINE_Y, WIDTH, background, down, orl_faces, walk
from mineguard.faces.embed import FaceEmbedder
from mineguard.faces.gallery import MemoryGallery
from mineguard.faces.gate import GateSettings, GateWatch
from mineguard.faces.identify import Identifier
from mineguard.models import get_model
from mineguard.runtime.scene.gate_line import GateLine
from mineguard.runtime.video import Frame


class _Reader:
    def stop(self, error: str | None = None) -> None: ...


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--walks", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    embedder = FaceEmbedder(get_model("dsr-inception", num_classes=3, in_channels=1, width=0.125), img_size=64)
    gallery = MemoryGallery()
    gallery.add("miner-001", np.ones(embedder.dim, np.float32))
    line = GateLine((0.0, LINE_Y), (float(WIDTH), LINE_Y), (WIDTH / 2, 390.0))
    scene = background(args.data)
    detect_ms, rest_ms, decisions = [], [], 0
    for k in range(args.walks):
        watch = GateWatch("cam", "gate", _Reader(), GateSettings(line), embedder, Identifier(gallery, threshold=0.99))
        frames = walk(scene, orl_faces(args.data, f"s{k + 1}", [6, 7, 8, 9, 10]), down(16))
        for i, rgb in enumerate(frames):
            t0 = time.perf_counter()
            dets = watch.detector.predict(rgb)
            t1 = time.perf_counter()
            out = watch.judge_frame(
                Frame("cam", i, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i / 10), rgb), dets, 0, 0
            )
            t2 = time.perf_counter()
            detect_ms.append(1000 * (t1 - t0))
            rest_ms.append(1000 * (t2 - t1))
            decisions += len(out.events)
        decisions += len(watch.close())
    print(
        json.dumps(
            {
                "frames": len(detect_ms),
                "decisions": decisions,
                "frame_px": [WIDTH, 400],
                "detect_ms_mean": round(float(np.mean(detect_ms)), 2),
                "track_align_quality_decide_ms_mean": round(float(np.mean(rest_ms)), 2),
                "total_ms_per_frame_mean": round(float(np.mean(detect_ms) + np.mean(rest_ms)), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
