"""``mineguard warn train multimodal`` end to end on a tiny simulated set: LightGBM by default, saved as one
JSON file that ``warn eval`` scores against the rule; ``--model fusion --pretrain-epochs 1`` pre-trains first;
bad input is one clear line."""

from __future__ import annotations

import json

import pytest

from mineguard.cli import main
from mineguard.warning.window_gbm import WindowGBM

from .test_warn import msha_text  # noqa: F401  (the module-scoped MSHA-format text folder)

TINY = ["--episodes", "12", "--val-episodes", "6", "--threads", "1"]


def test_train_multimodal_window_gbm_saves_json_then_eval(msha_text, tmp_path, capsys):  # noqa: F811
    path = tmp_path / "out.json"
    argv = ["warn", "train", "multimodal", "--model", "window-gbm", "--text-data", str(msha_text), *TINY]
    code = main([*argv, "--save", str(path)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "training LightGBM" in out and f"saved {path}" in out
    model = WindowGBM.load(path)
    assert model.embedder is not None and 0.0 <= model.metrics["alarm_threshold"] <= 1.0
    assert model.metrics["seed"] == 0 and "hazard_macro_f1" in model.metrics["val"]
    report = tmp_path / "eval.json"
    code = main(["warn", "eval", str(path), "--text-data", str(msha_text), "--episodes", "4", "--json", str(report)])
    assert code == 0, capsys.readouterr().err
    result = json.loads(report.read_text())
    assert result["seed"] == 2000 and set(result) >= {"all used", "without sensors", "without text", "alarm"}


def test_the_default_model_is_window_gbm(msha_text, tmp_path, capsys):  # noqa: F811
    path = tmp_path / "default.json"
    assert main(["warn", "train", "multimodal", "--text-data", str(msha_text), *TINY, "--save", str(path)]) == 0
    assert json.loads(path.read_text())["model"] == "window-gbm"


def test_train_multimodal_fusion_pretrains_each_modality_for_one_epoch(msha_text, tmp_path, capsys):  # noqa: F811
    path = tmp_path / "fusion.pt"
    argv = ["warn", "train", "multimodal", "--model", "fusion", "--pretrain-epochs", "1", "--epochs", "1"]
    code = main([*argv, "--d-model", "16", "--text-data", str(msha_text), *TINY, "--save", str(path)])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    for modality in ("sensors", "vision", "text"):
        assert f"pre-training {modality} alone,  epoch   1" in out
    assert f"saved {path}" in out and path.is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "multimodal", "--text-data", "/nonexistent/text"], "no MSHA text folder"),
        (["train", "multimodal", "--model", "fusion", "--pretrain-epochs", "-1"], "--pretrain-epochs must be >= 0"),
        (["eval", "/nonexistent/model.json"], "no such window-gbm model file"),
    ],
)
def test_bad_input_is_one_clear_line(argv, message, capsys):
    assert main(["warn", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_model_file_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"model": "window-gbm", "format": 1, "config": {}}')
    assert main(["warn", "eval", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json: bad field 'layout'" in err
