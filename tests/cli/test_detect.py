"""``mineguard detect ...`` run as a user would: train -> val -> predict, ablate, kfold, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mineguard.cli import main

TINY = ["--img-size", "64", "--batch-size", "8", "--workers", "0", "--warmup-epochs", "0"]


def test_info_prints_params_and_gflops_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mineguard", "detect", "info", "yolov10n", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert 2.2e6 < info["params_inference"] < 2.4e6
    assert 6.5 < info["gflops"] < 7.0


def test_info_human_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "info", "ca-yolov10n", "--img-size", "320", "--num-classes", "2"]) == 0
    out = capsys.readouterr().out
    assert "ca-yolov10n" in out and "GFLOPs at 320 px" in out


@pytest.fixture(scope="module")
def trained(tiny_helmets: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("cli") / "run"
    code = main(
        [
            "detect",
            "train",
            "--data",
            str(tiny_helmets),
            "--model",
            "yolov10n",
            "--epochs",
            "2",
            "--out",
            str(run),
            *TINY,
        ]
    )
    assert code == 0
    return run


def test_train_writes_weights_metrics_and_plots(trained: Path) -> None:
    for name in (
        "best.pt",
        "last.pt",
        "results.csv",
        "metrics_test.json",
        "loss_curves.png",
        "pr_curves_test.png",
        "confusion_matrix_test.png",
        "predictions_test.png",
    ):
        assert (trained / name).is_file(), name
    summary = json.loads((trained / "metrics_test.json").read_text())
    assert summary["images"] == 8 and set(summary["metrics"]["per_class"]) == {"helmet", "no_helmet"}


def test_val_on_a_split(trained: Path, tiny_helmets: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(
        [
            "detect",
            "val",
            "--weights",
            str(trained / "best.pt"),
            "--data",
            str(tiny_helmets),
            "--split",
            "val",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "mAP50-95" in capsys.readouterr().out
    assert (tmp_path / "metrics_val.json").is_file()


def test_predict_a_folder(trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "frames"
    src.mkdir()
    for i in range(2):
        cv2.imwrite(str(src / f"cam{i}.jpg"), np.full((72, 96, 3), 60 + i, np.uint8))
    out = tmp_path / "pred"
    assert (
        main(["detect", "predict", str(src), "--weights", str(trained / "best.pt"), "--out", str(out), "--conf", "0.0"])
        == 0
    )
    lines = (out / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["detections"]
    assert (out / "cam0.jpg").is_file()


def test_resume_extends_a_run(trained: Path, tmp_path: Path) -> None:
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(trained, run)
    assert main(["detect", "train", "--resume", str(run / "last.pt"), "--epochs", "3"]) == 0
    assert len((run / "results.csv").read_text().splitlines()) == 4  # header + 3 epochs


def test_ablate_two_rows_and_reuse(tiny_helmets: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = [
        "detect",
        "ablate",
        "--data",
        str(tiny_helmets),
        "--epochs",
        "1",
        "--out",
        str(tmp_path),
        "--rows",
        "baseline,ca",
        *TINY,
    ]
    assert main(args) == 0
    table = (tmp_path / "ablation.md").read_text()
    assert "| baseline |" in table and "| ca |" in table
    stamp = (tmp_path / "ca" / "best.pt").stat().st_mtime
    assert main(args) == 0  # second run reuses the finished rows
    assert (tmp_path / "ca" / "best.pt").stat().st_mtime == stamp


def test_kfold(tiny_helmets: Path, tmp_path: Path) -> None:
    assert (
        main(
            ["detect", "kfold", "--data", str(tiny_helmets), "--k", "2", "--epochs", "1", "--out", str(tmp_path), *TINY]
        )
        == 0
    )
    result = json.loads((tmp_path / "kfold.json").read_text())
    assert set(result["folds"]) == {"fold_0", "fold_1", "mean", "std"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["detect", "info", "yolov99"], "unknown model 'yolov99'"),
        (["detect", "train", "--model", "yolov10n"], "no dataset: pass --data"),
        (["detect", "train", "--data", "missing/data.yaml", "--epochs", "1"], "missing/data.yaml"),
        (["detect", "val", "--weights", "nope.pt", "--data", "x.yaml"], "no such checkpoint"),
        (["detect", "ablate", "--data", "x.yaml", "--rows", "baseline,warp"], "unknown ['warp']"),
        (["detect", "info", "yolov10n", "--set", "dyhead_depth"], "expected KEY=VALUE"),
        (["detect", "info", "yolov10n-dyhead", "--set", "dyhead_depth=5"], "depth must be 1, 2 or 3"),
    ],
)
def test_user_errors_are_one_clear_line(argv: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_training_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("data: x.yaml\nepochz: 3\n")
    assert main(["detect", "train", "--config", str(config)]) == 2
    assert "'epochz'" in capsys.readouterr().err
