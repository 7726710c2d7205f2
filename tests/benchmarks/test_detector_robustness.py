"""benchmarks/detector_robustness.py: the command it prints repeats the run; a bad --name is refused."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PATH = ROOT / "benchmarks" / "detector_robustness.py"
_SPEC = importlib.util.spec_from_file_location("detector_robustness", _PATH)
detector_robustness = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(detector_robustness)

PREFIX = "PYTHONPATH=src:benchmarks .venv/bin/python benchmarks/detector_robustness.py "


def _args(**changed) -> argparse.Namespace:
    values = {
        "weights": [Path("a.onnx"), Path("runs/b/best.pt")],
        "data": detector_robustness.DEFAULT_DATA,
        "split": "test",
        "frames": detector_robustness.DEFAULT_FRAMES,
        "conf": 0.25,
        "threads": 1,
        "name": detector_robustness.DEFAULT_NAME,
    }
    return argparse.Namespace(**{**values, **changed})


def test_the_helmet_figure_command_names_only_threads_and_weights() -> None:
    assert detector_robustness.command_line(_args()) == PREFIX + "--threads 1 --weights a.onnx runs/b/best.pt --write"


def test_a_hazard_run_names_its_data_and_results_stem() -> None:
    args = _args(data=Path("data/hazards_merged/data.yaml"), name="detector_robustness_hazards", conf=0.3)
    assert detector_robustness.command_line(args) == PREFIX + (
        "--threads 1 --data data/hazards_merged/data.yaml --conf 0.3 --name detector_robustness_hazards "
        "--weights a.onnx runs/b/best.pt --write"
    )


def test_a_name_with_a_folder_is_refused_before_any_work() -> None:
    run = subprocess.run(
        [sys.executable, str(_PATH), "--weights", "x.onnx", "--name", "../elsewhere"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode != 0
    assert "--name '../elsewhere': give a bare file stem" in run.stderr
    assert "Traceback" not in run.stderr
