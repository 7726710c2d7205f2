"""Trainer end to end on a generated set: losses fall, logs and checkpoints, resume, errors."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
import torch

from mineguard.engine.config import ConfigError, load_train_config
from mineguard.engine.trainer import LOSS_TERMS, Trainer, logged_time, resume_config
from mineguard.models.checkpoint import CheckpointError, load_model, read_checkpoint

FAST = {"img_size": 64, "batch_size": 8, "nominal_batch": 8, "lr0": 0.01, "warmup_epochs": 0, "workers": 0}


def _rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "results.csv").open() as f:
        return list(csv.DictReader(f))


def test_training_lowers_the_loss_and_writes_logs_and_checkpoints(tiny_helmets: Path, tmp_path: Path) -> None:
    config = load_train_config({**FAST, "data": str(tiny_helmets), "out_dir": str(tmp_path / "run"), "epochs": 6})
    summary = Trainer(config).fit()
    rows = _rows(summary.run_dir)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    for term in LOSS_TERMS:
        assert f"train/{term}" in rows[0]
    total = [sum(float(r[f"train/{t}"]) for t in LOSS_TERMS) for r in rows]
    assert all(b < a for a, b in itertools.pairwise(total)), total  # falls every epoch
    assert total[-1] < 0.85 * total[0], total
    assert "metrics/mAP50" in rows[-1]
    for path in (summary.best_checkpoint, summary.last_checkpoint):
        ckpt = read_checkpoint(path)
        assert ckpt["train_config"]["epochs"] == 6
        assert ckpt["names"] == ["helmet", "no_helmet"]
    model, _ = load_model(summary.best_checkpoint)
    out = model(torch.rand(1, 3, 64, 64))
    assert out.shape[-1] == 6 and not model.training


def test_resume_continues_from_the_last_epoch(tiny_helmets: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    config = load_train_config({**FAST, "data": str(tiny_helmets), "out_dir": str(run), "epochs": 2})
    Trainer(config).fit()
    first = read_checkpoint(run / "last.pt")
    extended = resume_config(run / "last.pt").model_copy(update={"epochs": 3})
    summary = Trainer(extended, resume_from=run / "last.pt").fit()
    assert summary.epochs_run == 3
    assert [int(r["epoch"]) for r in _rows(run)] == [1, 2, 3]
    second = read_checkpoint(run / "last.pt")
    assert second["epoch"] == 2 and second["step"] > first["step"]
    epochs, seconds = logged_time(run)  # the resumed run's log keeps the first two epochs' times
    assert epochs == 3 and seconds == pytest.approx(sum(float(r["time_s"]) for r in _rows(run))) and seconds > 0


def test_logged_time_sums_each_epochs_seconds(tmp_path: Path) -> None:
    (tmp_path / "results.csv").write_text("epoch,train/box,time_s\n1,0.2,10.5\n2,0.1,9.5\n")
    assert logged_time(tmp_path) == (2, pytest.approx(20.0))
    with pytest.raises(FileNotFoundError):
        logged_time(tmp_path / "never-trained")


def test_same_seed_gives_the_same_first_epoch(tiny_helmets: Path, tmp_path: Path) -> None:
    losses = []
    for name in ("a", "b"):
        config = load_train_config({**FAST, "data": str(tiny_helmets), "out_dir": str(tmp_path / name), "epochs": 1})
        Trainer(config).fit()
        losses.append(_rows(tmp_path / name)[0]["train/box_om"])
    assert losses[0] == losses[1]


def test_config_rejects_unknown_and_bad_keys() -> None:
    with pytest.raises(ConfigError, match=r"'epoch'.*[Ee]xtra"):
        load_train_config({"data": "x.yaml", "epoch": 3})
    with pytest.raises(ConfigError, match="img_size"):
        load_train_config({"data": "x.yaml", "img_size": 100})
    with pytest.raises(ConfigError, match="'data'"):
        load_train_config({})


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    config = load_train_config({"data": str(tmp_path / "nope.yaml"), "out_dir": str(tmp_path / "run")})
    with pytest.raises(ValueError, match=r"nope\.yaml"):
        Trainer(config)


def test_bad_checkpoints_are_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        read_checkpoint(tmp_path / "missing.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        read_checkpoint(garbage)
    other = tmp_path / "other.pt"
    torch.save({"weights": 1}, other)
    with pytest.raises(CheckpointError, match="model_name"):
        read_checkpoint(other)


def test_anchor_model_fits_its_anchors_and_logs_its_own_terms(tiny_helmets: Path, tmp_path: Path) -> None:
    """yolov3-gc-s trains through the same engine: anchors clustered on the training boxes are saved
    in the checkpoint's model_config (and weights), results.csv has box/conf/cls."""
    import numpy as np

    from mineguard.data.datasets.detection import DetectionDataset
    from mineguard.ops.anchors import cluster_anchors

    config = load_train_config(
        {**FAST, "data": str(tiny_helmets), "out_dir": str(tmp_path / "run"), "epochs": 1, "model": "yolov3-gc-s"}
    )
    trainer = Trainer(config)
    sizes = DetectionDataset.from_data_yaml(tiny_helmets, "train", img_size=64).box_sizes()
    assert sizes.shape[1] == 2 and len(sizes) > 9 and (sizes > 0).all()
    expected, _ = cluster_anchors(torch.from_numpy(sizes), 9, seed=config.seed)
    summary = trainer.fit()
    rows = _rows(summary.run_dir)
    assert {"train/box", "train/conf", "train/cls"} <= set(rows[0]) and "train/box_om" not in rows[0]
    ckpt = read_checkpoint(summary.last_checkpoint)
    np.testing.assert_allclose(np.array(ckpt["model_config"]["anchors"]).reshape(9, 2), expected.numpy(), rtol=1e-6)
    model, _ = load_model(summary.last_checkpoint)
    torch.testing.assert_close(model.head.anchors.view(9, 2), expected)
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 300, 6)


def test_a_torchvision_baseline_trains_scores_and_reloads_through_the_same_engine(
    tiny_helmets: Path, tmp_path: Path
) -> None:
    """ssdlite-mnv3 (seed 000's SSD baseline): the engine logs torchvision's loss terms, validates with the
    same evaluator, and the checkpoint rebuilds the model."""
    config = load_train_config(
        {
            **FAST,
            "model": "ssdlite-mnv3",
            "lr0": 0.00125,
            "data": str(tiny_helmets),
            "out_dir": str(tmp_path / "run"),
            "epochs": 2,
        }
    )
    summary = Trainer(config).fit()
    rows = _rows(summary.run_dir)
    assert {"train/bbox_regression", "train/classification", "metrics/mAP50"} <= set(rows[0])
    assert all(float(r["train/classification"]) > 0 for r in rows)
    model, ckpt = load_model(summary.best_checkpoint)
    assert ckpt["model_name"] == "ssdlite-mnv3" and not model.training
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 300, 6)
