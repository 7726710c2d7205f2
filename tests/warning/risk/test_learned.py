"""The learned risk model: scale-free features, short histories, save/load, bad files, a small training
run that tells a steep ramp from a flat series, ``load_risk_model`` and the training command."""

from __future__ import annotations

import argparse
import dataclasses
import pickletools
import zipfile

import numpy as np
import pytest
import torch

from mineguard.cli.warn_risk import add_train_parser
from mineguard.warning.risk import TrendModel, load_risk_model
from mineguard.warning.risk.learned import (
    LearnedRiskConfig,
    LearnedRiskModel,
    pinball_loss,
    relative_to_limit,
    risk_features,
)
from mineguard.warning.risk.trajectories import train_learned_risk

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def trained() -> LearnedRiskModel:
    torch.set_num_threads(1)
    model, metrics = train_learned_risk(120, seed=0, epochs=12)
    assert metrics.n_val > 0 and 1 <= metrics.best_epoch <= metrics.epochs_run <= 12
    return model


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory) -> str:
    return str(trained.save(tmp_path_factory.mktemp("risk") / "risk.pt"))


def ramp(start: float, per_min: float, *, minutes: float = 5.0, every_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    t = T0 + np.arange(0.0, minutes * 60 + 1e-9, every_s)
    return t, start + per_min * (t - t[0]) / 60.0


def test_relative_to_limit_known_answers() -> None:
    assert relative_to_limit(np.array([0.35, 1.0]), 1.0, ">=") == pytest.approx([0.35, 1.0])  # methane %
    assert relative_to_limit(np.array([20.8, 20.0, 19.0]), 20.0, "<=") == pytest.approx([0.96, 1.0, 1.05])  # O2 %
    assert relative_to_limit(np.array([-10.0]), -5.0, ">=") == pytest.approx([0.0])  # a negative maximum
    with pytest.raises(ValueError, match="non-zero limit"):
        relative_to_limit(np.array([1.0]), 0.0, ">=")


def test_pinball_loss_known_answer() -> None:
    target = torch.tensor([1.0, 2.0])
    assert float(pinball_loss(target[:, None].repeat(1, 3), target)) == 0.0
    under = pinball_loss(torch.zeros(1, 3), torch.ones(1), reduction="none")  # target above every quantile
    assert under[0].tolist() == pytest.approx([0.1, 0.5, 0.9])
    over = pinball_loss(torch.full((1, 3), 2.0), torch.ones(1), reduction="none")  # target below every quantile
    assert over[0].tolist() == pytest.approx([0.9, 0.5, 0.1])


def test_same_shape_relative_to_the_limit_gives_the_same_risk(trained) -> None:
    t, x = ramp(0.55, 0.04)  # 0.55 -> 0.75 of the limit in 5 min
    methane = trained.assess(t, 1.0 * x, limit=1.0)  # % against 1.0 %
    pressure = trained.assess(t, 30.0 * x, limit=30.0)  # MPa against 30 MPa
    oxygen = trained.assess(t, 20.0 * (2.0 - x), limit=20.0, op="<=")  # falling O2 against a 20 % minimum
    assert methane.model == "learned" and methane.horizon_s == 600.0
    for other, scale in ((pressure, 30.0), (oxygen, 20.0)):
        assert other.probability == pytest.approx(methane.probability, rel=1e-4, abs=1e-9)
        assert other.predicted_sd == pytest.approx(scale * methane.predicted_sd, rel=1e-4)
        assert other.minutes_to_limit == pytest.approx(methane.minutes_to_limit, rel=1e-4)
    assert pressure.predicted == pytest.approx(30.0 * methane.predicted, rel=1e-4)
    assert oxygen.predicted == pytest.approx(20.0 * (2.0 - methane.predicted), rel=1e-4)
    assert oxygen.rate_per_min == pytest.approx(-0.8) and not oxygen.past_limit


def test_short_histories_say_nothing(trained) -> None:
    t, y = ramp(0.5, 0.05, minutes=20)
    assert trained.assess(t[:12], y[:12], limit=1.0) is None  # 110 s of history
    assert trained.assess(t[:13], y[:13], limit=1.0) is not None  # 120 s
    assert trained.assess(t[::60][:4], y[::60][:4], limit=1.0) is None  # 4 readings over 30 min
    assert trained.assess(np.array([]), np.array([]), limit=1.0) is None
    assert trained.assess(t, np.full(t.size, np.nan), limit=1.0) is None
    with pytest.raises(ValueError, match="equal length"):
        trained.assess(t, y[:-1], limit=1.0)


def test_irregular_timestamps_resample_onto_the_same_grid(trained) -> None:
    config = LearnedRiskConfig()
    rng = np.random.default_rng(0)
    t = T0 + np.sort(rng.uniform(0.0, 300.0, 25))
    t = np.concatenate([[T0], t[(t < T0 + 150) | (t > T0 + 210)], [T0 + 300.0]])  # jitter and a 1-min gap
    line = 0.4 + 0.03 * (t - T0) / 60.0
    regular_t, regular = ramp(0.4, 0.03)
    irregular, even = risk_features(t, line, config), risk_features(regular_t, regular, config)
    shape = slice(0, config.steps)
    assert irregular[shape] == pytest.approx(even[shape], abs=1e-6)  # linear interpolation of a line is exact
    assert irregular[-2] == pytest.approx(0.03, abs=1e-6) and even[-2] == pytest.approx(0.03, abs=1e-6)  # slope
    assert irregular[config.steps + 1] > even[config.steps + 1]  # the largest gap is seen
    order = rng.permutation(t.size)
    assert trained.assess(t[order], line[order], limit=1.0) == trained.assess(t, line, limit=1.0)  # sorted first


def test_training_ranks_a_steep_ramp_above_a_flat_series(trained) -> None:
    t, steep = ramp(0.55, 0.06)  # 0.85 after 5 min, past the limit in 2.5 more at this rate
    flat = 0.3 + np.random.default_rng(1).normal(0.0, 0.01, t.size)
    high, low = trained.assess(t, steep, limit=1.0), trained.assess(t, flat, limit=1.0)
    assert high.probability > 0.5 > 0.05 > low.probability
    assert high.predicted > 0.9 and 0 < high.minutes_to_limit < 10
    assert high.rate_per_min == pytest.approx(0.06)


def test_save_and_load_give_identical_assessments(trained, saved) -> None:
    loaded = LearnedRiskModel.load(saved)
    assert loaded.config == trained.config and loaded.training["seed"] == 0
    t, y = ramp(0.6, 0.03)
    assert loaded.assess(t, y, limit=1.0) == trained.assess(t, y, limit=1.0)
    assert loaded.assess(t, 24 - y, limit=20.0, op="<=") == trained.assess(t, 24 - y, limit=20.0, op="<=")


def test_saved_file_names_no_mineguard_class(saved) -> None:
    """The file holds names, numbers and tensors only, so moving the package (``risk/`` became
    ``warning/risk/``) or renaming a class never orphans a saved model."""
    with zipfile.ZipFile(saved) as archive:
        pickled = archive.read(next(n for n in archive.namelist() if n.endswith("/data.pkl")))
    modules, strings = [], []
    for op, arg, _ in pickletools.genops(pickled):
        if op.name == "GLOBAL":
            modules.append(arg.split(" ")[0])
        elif op.name == "STACK_GLOBAL":
            modules.append(strings[-2])
        elif isinstance(arg, str):
            strings.append(arg)
    assert "torch._utils" in modules  # the scan sees the globals the file does name
    assert not [m for m in modules if m.split(".")[0] == "mineguard"]


def test_bad_files_are_refused_with_the_reason(saved, tmp_path) -> None:
    with pytest.raises(ValueError, match="no such checkpoint — train one with `mineguard warn train risk`"):
        LearnedRiskModel.load(tmp_path / "missing.pt")
    (tmp_path / "notes.pt").write_text("not a model")
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        LearnedRiskModel.load(tmp_path / "notes.pt")
    torch.save({"model_name": "yolov10", "model_config": {}, "model": {}}, tmp_path / "detector.pt")
    with pytest.raises(ValueError, match="missing 'risk_model' — not a MineGuard risk model checkpoint"):
        LearnedRiskModel.load(tmp_path / "detector.pt")
    ckpt = torch.load(saved, weights_only=False)
    torch.save({**ckpt, "model_config": {**ckpt["model_config"], "dropout": 0.1}}, tmp_path / "newer.pt")
    with pytest.raises(ValueError, match=r"unknown config keys \['dropout'\]"):
        LearnedRiskModel.load(tmp_path / "newer.pt")
    torch.save({**ckpt, "model_config": {**ckpt["model_config"], "steps": 12}}, tmp_path / "mismatch.pt")
    with pytest.raises(ValueError, match="weights do not fit the saved config"):
        LearnedRiskModel.load(tmp_path / "mismatch.pt")


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="min_span_s"):
        LearnedRiskConfig(window_s=60, min_span_s=120)
    with pytest.raises(ValueError, match="steps must be at least 2"):
        LearnedRiskConfig(steps=1)
    assert dataclasses.asdict(LearnedRiskConfig())["horizon_s"] == 600.0


def test_load_risk_model_by_name_or_file(saved, tmp_path) -> None:
    assert isinstance(load_risk_model("trend"), TrendModel)
    model = load_risk_model(saved)
    assert isinstance(model, LearnedRiskModel) and model.window_s == 300.0
    with pytest.raises(ValueError, match="unknown risk model 'lstm' — pass a registered name \\(learned, trend\\)"):
        load_risk_model("lstm")
    with pytest.raises(ValueError, match="is read from a file — pass the path of a saved model"):
        load_risk_model("learned")
    with pytest.raises(ValueError, match="no such checkpoint"):
        load_risk_model(str(tmp_path / "nowhere" / "risk.pt"))


def test_train_command_saves_a_loadable_model(tmp_path, capsys) -> None:
    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "run" / "risk.pt"
    args = parser.parse_args(["risk", "--out", str(out), "--series", "20", "--epochs", "2", "--horizon-s", "300"])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert f"saved {out}" in text and f"MINEGUARD_RISK_MODEL={out}" in text and "validation: pinball loss" in text
    assert load_risk_model(str(out)).horizon_s == 300.0
    for argv, message in ((["--series", "2"], "--series 2"), (["--out", str(tmp_path / "risk.bin")], "name the file")):
        args = parser.parse_args(["risk", *argv])
        with pytest.raises(ValueError, match=message):
            args.func(args)
