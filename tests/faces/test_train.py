"""Face training (seed 002 §3): config, preprocessing, a tiny run's outputs, the lr schedule and transfer."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pydantic import ValidationError

from mineguard.faces.embed import load_face_checkpoint, preprocess
from mineguard.faces.pipeline import FacePreparer
from mineguard.faces.train import FaceDataset, FaceTrainConfig, FaceTrainer, build_face_model

LOG_COLUMNS = ["epoch", "lr", "ce", "center", "total", "train_acc", "val_acc", "seconds"]
PEOPLE = ["p0", "p1", "p2", "p3"]
Items = list[tuple[str, int]]
DrawFace = Callable[..., np.ndarray]  # the ``draw_face`` fixture of tests/faces/conftest.py


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _person_face(draw_face: DrawFace, person: int, shot: int) -> np.ndarray:
    """A 96 px drawn face: skin tone and a mark per person, brightness per shot."""
    face = draw_face(96, seed=10 * person + shot, skin=120 + 30 * person)
    cv2.circle(face, (30 + 12 * person, 66), 4, 30, -1)
    return np.clip(face.astype(np.int16) + 8 * (shot - 1), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def face_items(tmp_path_factory: pytest.TempPathFactory, draw_face: DrawFace) -> tuple[Items, Items]:
    """(train, val) items of 4 people x 4 PNGs: 3 training and 1 validation image each."""
    root = tmp_path_factory.mktemp("faces")
    train, val = [], []
    for person in range(len(PEOPLE)):
        for shot in range(4):
            file = root / PEOPLE[person] / f"{shot}.png"
            file.parent.mkdir(exist_ok=True)
            cv2.imwrite(str(file), _person_face(draw_face, person, shot))
            (val if shot == 3 else train).append((str(file), person))
    return train, val


def _config(out: Path, **kw: object) -> FaceTrainConfig:
    base = {
        "model": "dsr-inception",
        "model_kwargs": {"width": 0.125},
        "img_size": 64,
        "epochs": 2,
        "batch_size": 8,
        "threads": 1,
        "out_dir": str(out),
    }
    return FaceTrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def first_run(
    tmp_path_factory: pytest.TempPathFactory, face_items: tuple[Items, Items]
) -> tuple[FaceTrainConfig, Path]:
    """A 2-epoch run of a width-0.125 DSR-Inception on 64 px crops: (config, best.pt)."""
    config = _config(tmp_path_factory.mktemp("run1"))
    best = FaceTrainer(config).fit(*face_items, PEOPLE)
    return config, best


def _log(out: Path) -> list[dict[str, str]]:
    with (out / "log.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


# --- config -------------------------------------------------------------------------------------------------------


def test_config_defaults_are_the_paper_recipe() -> None:
    config = FaceTrainConfig()
    assert (config.batch_size, config.lr0, config.decay, config.center_lambda) == (64, 0.01, 0.05, 0.01)
    assert FaceTrainConfig(**config.dump()) == config  # the dump saved in checkpoints round-trips


def test_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="lr"):
        FaceTrainConfig(lr=0.1)
    with pytest.raises(ValidationError, match="extra"):
        FaceTrainConfig.model_validate({**FaceTrainConfig().dump(), "epochz": 3})


@pytest.mark.parametrize("bad", [{"img_size": 16}, {"epochs": 0}, {"lr0": 0.0}, {"in_channels": 4}, {"dust_p": 1.5}])
def test_config_rejects_out_of_range_values(bad: dict) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):
        FaceTrainConfig(**bad)


# --- preprocess ---------------------------------------------------------------------------------------------------


def test_preprocess_known_values() -> None:
    image = np.array([[0, 255], [51, 102]], np.uint8).repeat(16, 0).repeat(16, 1)  # 32x32, four flat blocks
    x = preprocess(image, 32)
    assert x.shape == (1, 32, 32) and x.dtype == torch.float32
    assert x[0, 0, 0] == 0.0 and x[0, 0, 31] == 1.0 and x[0, 31, 0] == pytest.approx(0.2)
    assert x[0, 31, 31] == pytest.approx(0.4)


def test_preprocess_resizes_and_converts_colour() -> None:
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (50, 40, 3), dtype=np.uint8)
    x = preprocess(bgr, 64)
    assert x.shape == (1, 64, 64) and float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    assert torch.equal(x, preprocess(grey, 64))
    three = preprocess(grey, 64, in_channels=3)
    assert three.shape == (3, 64, 64) and torch.equal(three[0], three[2]) and torch.equal(three[:1], x)


# --- dataset ------------------------------------------------------------------------------------------------------


def test_dataset_items_are_prepared_crops(face_items: tuple[Items, Items]) -> None:
    train, _ = face_items
    dataset = FaceDataset(train[:3], size=64)
    assert len(dataset) == 3
    x, label = dataset[2]
    assert x.shape == (1, 64, 64) and label == train[2][1]
    assert torch.equal(x, preprocess(FacePreparer(size=64).load(train[2][0]).image, 64))  # the enrolment crop
    assert torch.equal(x, dataset[2][0])  # no augmentation: the same tensor every time
    augmented = FaceDataset(train[:3], size=64, augment=True, dust_p=1.0, seed=1)
    y, _ = augmented[2]
    assert y.shape == (1, 64, 64) and not torch.equal(x, y)


# --- a tiny training run ------------------------------------------------------------------------------------------


def test_run_writes_checkpoints_and_log(first_run: tuple[FaceTrainConfig, Path]) -> None:
    config, best = first_run
    out = Path(config.out_dir)
    assert best == out / "best.pt" and best.is_file() and (out / "last.pt").is_file()
    with (out / "log.csv").open(newline="") as fh:
        assert next(csv.reader(fh)) == LOG_COLUMNS
    rows = _log(out)
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    for row in rows:
        assert all(math.isfinite(float(row[k])) for k in ("ce", "center", "total", "seconds"))
        assert 0.0 <= float(row["train_acc"]) <= 1.0 and 0.0 <= float(row["val_acc"]) <= 1.0


def test_lr_decays_exponentially(first_run: tuple[FaceTrainConfig, Path]) -> None:
    config, _ = first_run
    for row in _log(Path(config.out_dir)):
        expected = config.lr0 * math.exp(-config.decay * int(row["epoch"]))  # 0.01, 0.00951229
        assert float(row["lr"]) == pytest.approx(expected, rel=1e-5)


def test_checkpoint_carries_config_names_and_size(first_run: tuple[FaceTrainConfig, Path]) -> None:
    config, best = first_run
    ckpt = torch.load(best, map_location="cpu", weights_only=False)
    assert ckpt["train_config"] == config.dump()
    assert FaceTrainConfig(**ckpt["train_config"]) == config
    assert ckpt["class_names"] == PEOPLE and ckpt["img_size"] == 64
    assert ckpt["model_name"] == "dsr-inception"
    assert ckpt["model_config"] == {"num_classes": 4, "in_channels": 1, "width": 0.125}
    assert ckpt["centers"].shape == (4, 128)  # one center per person, embedding width 1024 x 0.125
    rows = _log(Path(config.out_dir))
    best_val = max(float(r["val_acc"]) for r in rows)
    assert ckpt["val_acc"] == pytest.approx(best_val, abs=1e-6)  # best.pt = first epoch with the best val_acc
    assert ckpt["epoch"] == next(int(r["epoch"]) for r in rows if float(r["val_acc"]) == pytest.approx(best_val))
    model, _ = load_face_checkpoint(best)
    assert not model.training
    assert model(torch.zeros(2, 1, 64, 64)).shape == (2, 4)


def test_transfer_freezes_leading_stages(
    tmp_path: Path, first_run: tuple[FaceTrainConfig, Path], face_items: tuple[Items, Items]
) -> None:
    _, source = first_run
    config = _config(tmp_path / "run2", init_from=str(source), freeze_stages=3, epochs=1)
    FaceTrainer(config).fit(*face_items, PEOPLE)
    before = torch.load(source, map_location="cpu", weights_only=False)["model"]
    after = torch.load(tmp_path / "run2" / "last.pt", map_location="cpu", weights_only=False)["model"]
    frozen = [k for k in before if k.split(".")[:2] in (["stages", "0"], ["stages", "1"], ["stages", "2"])]
    trained = [k for k in before if k.split(".")[:2] in (["stages", "3"], ["stages", "4"]) and k.endswith("weight")]
    assert frozen and trained
    assert all(torch.equal(before[k], after[k]) for k in frozen)  # weights and BatchNorm statistics kept
    assert all(not torch.equal(before[k], after[k]) for k in trained)


def test_build_face_model_from_a_checkpoint(first_run: tuple[FaceTrainConfig, Path]) -> None:
    _, source = first_run
    model = build_face_model(_config(Path("unused"), init_from=str(source), freeze_stages=2), num_classes=6)
    state = torch.load(source, map_location="cpu", weights_only=False)["model"]
    assert torch.equal(model.state_dict()["stages.4.bn.weight"], state["stages.4.bn.weight"])
    assert model.classifier[-1].out_features == 6  # a new head for the new people
    assert model.frozen_stages == 2
    assert not any(p.requires_grad for p in model.stages[1].parameters())
    assert all(p.requires_grad for p in model.stages[2].parameters())


def test_init_from_another_model_is_refused(first_run: tuple[FaceTrainConfig, Path]) -> None:
    _, source = first_run
    with pytest.raises(ValueError, match="weights do not fit 'resnet18-face'"):
        build_face_model(_config(Path("unused"), model="resnet18-face", model_kwargs={}, init_from=str(source)), 4)


def test_init_from_another_width_is_refused_clearly(first_run: tuple[FaceTrainConfig, Path]) -> None:
    _, source = first_run
    with pytest.raises(ValueError, match="do not fit"):
        build_face_model(_config(Path("unused"), model_kwargs={"width": 0.25}, init_from=str(source)), 4)


def test_empty_training_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no training images — check the data folder"):
        FaceTrainer(_config(tmp_path / "run")).fit([], [], PEOPLE)
    assert not (tmp_path / "run").exists()


def test_run_without_validation_still_writes_best(tmp_path: Path, face_items: tuple[Items, Items]) -> None:
    train, val = face_items
    best = FaceTrainer(_config(tmp_path / "run", epochs=1)).fit(train + val, [], PEOPLE)
    assert best.is_file()


def test_warm_up_then_decay() -> None:
    from mineguard.faces.train import _lr

    config = _config(Path("unused"), lr0=0.01, warmup_epochs=2)
    assert [_lr(config, e) for e in range(4)] == pytest.approx([0.001, 0.0055, 0.01, 0.01 * math.exp(-0.05)])


def test_arcface_with_light_and_clahe_trains(tmp_path: Path, face_items: tuple[Items, Items]) -> None:
    config = _config(tmp_path, epochs=1, loss="arcface", light_p=1.0, illumination="clahe")
    best = FaceTrainer(config).fit(*face_items, PEOPLE)
    ckpt = torch.load(best, map_location="cpu", weights_only=False)
    assert ckpt["illumination"] == "clahe" and ckpt["train_config"]["loss"] == "arcface"
    row = _log(tmp_path)[0]
    assert float(row["center"]) == 0.0 and math.isfinite(float(row["ce"])) and float(row["ce"]) > 0


def test_dataset_normalises_after_augmentation(face_items: tuple[Items, Items]) -> None:
    from mineguard.faces.illumination import normalise_illumination

    train, _ = face_items
    plain = FaceDataset(train[:1], size=64)
    tt = FaceDataset(train[:1], size=64, illumination="tan-triggs")
    expected = preprocess(normalise_illumination(plain.images[0], "tan-triggs"), 64)
    torch.testing.assert_close(tt[0][0], expected)
