"""benchmarks/profile_train_step.py: the section it writes, from known step times and op shares."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "profile_train_step.py"
_SPEC = importlib.util.spec_from_file_location("profile_train_step", _PATH)
profile_train_step = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(profile_train_step)


def test_the_section_gives_step_time_images_per_second_and_each_models_ops() -> None:
    results = {
        "yolov10n": (2.0, [("aten::convolution_backward", 800.0, 0.4)]),
        "ca-yolov10n": (4.0, [("aten::index", 1500.0, 0.375), ("aten::mm", 500.0, 0.125)]),
    }
    text = profile_train_step.section(results, argparse.Namespace(threads=1, steps=3))
    lines = text.splitlines()
    assert lines[0] == profile_train_step.HEADING
    assert "| `yolov10n` | 2.00 | 8.0 |" in lines and "| `ca-yolov10n` | 4.00 | 4.0 |" in lines
    assert "| `aten::index` | 1500 | 37.5% |" in lines and "| `aten::mm` | 500 | 12.5% |" in lines
    assert lines.index("Ops with the most self CPU time, `yolov10n`:") < lines.index(
        "| `aten::convolution_backward` | 800 | 40.0% |"
    )


def test_peer_rows_follow_ours_and_models_without_ops_get_no_op_table() -> None:
    results = {"yolov3-gc": (30.0, [])}
    args = argparse.Namespace(threads=2, steps=2, heading="## Step times")
    lines = profile_train_step.section(results, args, {"yolov3u.yaml": 20.0}).splitlines()
    assert lines[0] == "## Step times"
    assert lines.index("| `yolov3-gc` | 30.00 | 0.5 |") < lines.index("| peer `yolov3u.yaml` | 20.00 | 0.8 |")
    assert not any(line.startswith("Ops with the most") for line in lines)


def test_the_peers_batch_holds_boxes_as_centre_and_size_over_the_image_side() -> None:
    import torch

    targets = torch.tensor([[0.0, 3.0, 32.0, 64.0, 96.0, 320.0], [1.0, 0.0, 0.0, 0.0, 320.0, 160.0]])
    batch = argparse.Namespace(images=torch.zeros(2, 3, 320, 320), targets=targets)
    out = profile_train_step.peer_batch(batch, 320)
    assert out["batch_idx"].tolist() == [0.0, 1.0] and out["cls"].tolist() == [[3.0], [0.0]]
    assert torch.allclose(out["bboxes"], torch.tensor([[0.2, 0.6, 0.2, 0.8], [0.5, 0.25, 1.0, 0.5]]))
    assert out["img"] is batch.images
