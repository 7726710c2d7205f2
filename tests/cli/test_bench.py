"""``mineguard bench video`` as a user runs it: one camera of the site, timed stage by stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mineguard.cli import main
from mineguard.mine.site import SAMPLE_SITE
from mineguard.runtime.export import export_onnx
from mineguard.runtime.watch import STAGES
from tiny_detectors import tiny_checkpoint
from videos import write_video

SITE = Path(__file__).resolve().parents[2] / "src" / "mineguard" / "mine" / "sites" / SAMPLE_SITE


def tiny_model_site(tmp_path: Path) -> Path:
    """The sample site, its face-gate camera's event map in the tiny detector's class names and its
    region drawn on the 64x48 test picture."""
    site = yaml.safe_load(SITE.read_text())
    for device in site["devices"]:
        if device["id"] == "cam-face-gate-1101":
            device["view"]["events"] = [{"detector_class": "no_helmet", "label": "no_helmet"}]
            device["view"]["regions"][0]["polygon"] = [[32, 0], [64, 0], [64, 48], [32, 48]]  # the right half
    out = tmp_path / "site.yaml"
    out.write_text(yaml.safe_dump(site))
    return out


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ckpt = tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.pt", "yolov10n", img_size=64)
    return export_onnx(ckpt, ckpt.with_suffix(".onnx"))


def test_bench_video_reports_fps_and_every_stage(tmp_path: Path, model: Path, capsys) -> None:
    clip = write_video(tmp_path / "gate.mp4", 4)  # shorter than the run: the recording loops
    args = ["bench", "video", "--site", str(tiny_model_site(tmp_path)), "--model", str(model), "--source", str(clip)]
    args += ["--frames", "6"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 6 and report["fps"] > 0 and report["backend"] == "onnx"
    assert all(report[stage] >= 0 for stage in STAGES) and report["inference_ms"] > 0
    assert report["cameras_per_core"] == pytest.approx(report["fps"] / 5, rel=0.01)
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "fps end to end" in table and "cameras per core at 5 fps" in table and "inference" in table


def test_bench_video_bad_input(tmp_path: Path, model: Path, capsys) -> None:
    assert main(["bench", "video", "--model", str(model), "--camera", "cam-nowhere", "--frames", "2"]) == 2
    assert "cam-nowhere: not a camera of site" in capsys.readouterr().err
    assert main(["bench", "video", "--model", str(model), "--frames", "0"]) == 2
    assert "--frames and --threads must be >= 1" in capsys.readouterr().err
