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
