"""From a face checkpoint to unit-length embeddings; clear errors for files that are not face checkpoints."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mineguard.faces.embed import FaceEmbedder, load_face_checkpoint, preprocess
from mineguard.faces.train import FaceTrainConfig
from mineguard.models import get_model
from mineguard.models.checkpoint import CheckpointError, save_checkpoint

IMG_SIZE = 64
EMBED_DIM = 128  # DSR-Inception's last stage, 1024 x width 0.125


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _payload(*, in_channels: int = 1, seed: int = 0) -> dict:
    """A checkpoint dict in the format ``FaceTrainer.fit`` writes, for a random width-0.125 DSR-Inception."""
    torch.manual_seed(seed)
    kwargs = {"width": 0.125}
    model = get_model("dsr-inception", num_classes=3, in_channels=in_channels, **kwargs)
    config = FaceTrainConfig(model_kwargs=kwargs, img_size=IMG_SIZE, in_channels=in_channels, epochs=1)
    return {
        "model_name": "dsr-inception",
        "model_config": {"num_classes": 3, "in_channels": in_channels, **kwargs},
        "model": model.state_dict(),
        "train_config": config.dump(),
        "class_names": ["a", "b", "c"],
        "epoch": 0,
        "val_acc": 0.5,
        "centers": torch.zeros(3, EMBED_DIM),
        "img_size": IMG_SIZE,
    }


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("face") / "best.pt"
    save_checkpoint(path, _payload())
    return path


@pytest.fixture(scope="module")
def embedder(checkpoint: Path) -> FaceEmbedder:
    return FaceEmbedder.from_checkpoint(checkpoint)


@pytest.fixture(scope="module")
def faces() -> list[np.ndarray]:
    """Five grey face-sized images of different sizes and content."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (side, side), dtype=np.uint8) for side in (64, 112, 90, 64, 150)]


def test_from_checkpoint_reads_the_training_size(embedder: FaceEmbedder) -> None:
    assert embedder.img_size == IMG_SIZE and embedder.in_channels == 1
    assert not embedder.model.training
    assert embedder.dim == EMBED_DIM


def test_embeddings_are_unit_float32_rows(embedder: FaceEmbedder, faces: list[np.ndarray]) -> None:
    vecs = embedder.embed(faces)
    assert vecs.shape == (len(faces), EMBED_DIM) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vecs).all()


def test_embeddings_are_the_normalised_penultimate_layer(embedder: FaceEmbedder, faces: list[np.ndarray]) -> None:
    with torch.no_grad():
        feats = embedder.model.embed(torch.stack([preprocess(f, IMG_SIZE) for f in faces]))
    expected = torch.nn.functional.normalize(feats, dim=1).numpy()
    assert np.allclose(embedder.embed(faces), expected, atol=1e-6)


def test_embeddings_are_deterministic(checkpoint: Path, embedder: FaceEmbedder, faces: list[np.ndarray]) -> None:
    first = embedder.embed(faces)
    assert np.array_equal(first, embedder.embed(faces))
    assert np.array_equal(first, FaceEmbedder.from_checkpoint(checkpoint).embed(faces))  # a fresh load agrees


def test_same_image_twice_same_embedding(embedder: FaceEmbedder, faces: list[np.ndarray]) -> None:
    vecs = embedder.embed([faces[1], faces[2], faces[1].copy()])
    assert np.array_equal(vecs[0], vecs[2])
    assert not np.allclose(vecs[0], vecs[1])


def test_batching_does_not_change_embeddings(checkpoint: Path, faces: list[np.ndarray]) -> None:
    whole = FaceEmbedder.from_checkpoint(checkpoint).embed(faces)
    in_twos = FaceEmbedder.from_checkpoint(checkpoint, batch_size=2).embed(faces)
    assert np.allclose(whole, in_twos, atol=1e-5)


def test_colour_crop_embeds_as_its_grey(embedder: FaceEmbedder, faces: list[np.ndarray]) -> None:
    bgr = cv2.cvtColor(faces[1], cv2.COLOR_GRAY2BGR)
    assert np.array_equal(embedder.embed([bgr]), embedder.embed([faces[1]]))


def test_empty_input_gives_no_rows(embedder: FaceEmbedder) -> None:
    assert embedder.embed([]).shape[0] == 0


def test_three_channel_checkpoint_takes_grey_crops(tmp_path: Path, faces: list[np.ndarray]) -> None:
    path = tmp_path / "rgb.pt"
    save_checkpoint(path, _payload(in_channels=3))
    embedder = FaceEmbedder.from_checkpoint(path)
    assert embedder.in_channels == 3
    assert embedder.embed(faces[:2]).shape == (2, EMBED_DIM)


def test_load_face_checkpoint_returns_model_and_dict(checkpoint: Path) -> None:
    model, ckpt = load_face_checkpoint(checkpoint)
    assert not model.training
    assert ckpt["class_names"] == ["a", "b", "c"] and ckpt["img_size"] == IMG_SIZE
    assert all(torch.equal(v, ckpt["model"][k]) for k, v in model.state_dict().items())


def test_missing_file(tmp_path: Path) -> None:
    expected = f"{tmp_path / 'nope.pt'}: no such checkpoint — pass the best.pt of `mineguard face train`"
    with pytest.raises(CheckpointError, match=re.escape(expected)):
        load_face_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        FaceEmbedder.from_checkpoint(tmp_path)  # a folder is not a checkpoint either


def test_not_a_checkpoint_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.pt"
    path.write_text("these are not weights")
    with pytest.raises(CheckpointError, match=re.escape(f"{path}: not a readable PyTorch checkpoint")):
        load_face_checkpoint(path)


@pytest.mark.parametrize(
    ("drop", "missing"),
    [("model_name", "model_name"), ("model", "model"), ("class_names", "class_names"), ("img_size", "img_size")],
)
def test_dict_missing_keys(tmp_path: Path, drop: str, missing: str) -> None:
    payload = _payload()
    del payload[drop]
    path = tmp_path / "partial.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=f"missing '{missing}' — not a MineGuard face checkpoint"):
        load_face_checkpoint(path)


def test_not_a_dict(tmp_path: Path) -> None:
    path = tmp_path / "list.pt"
    torch.save([1, 2, 3], path)
    with pytest.raises(CheckpointError, match="missing 'model_name'"):
        load_face_checkpoint(path)


def test_detector_checkpoint_is_not_a_face_model(tmp_path: Path) -> None:
    payload = {k: v for k, v in _payload().items() if k not in ("class_names", "img_size")}
    path = tmp_path / "detector.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="missing 'class_names'"):
        load_face_checkpoint(path)


def test_weights_that_do_not_fit_the_config(tmp_path: Path) -> None:
    payload = _payload()
    payload["model_config"] = {**payload["model_config"], "width": 0.25}
    path = tmp_path / "mismatch.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=re.escape(str(path))):
        load_face_checkpoint(path)


def test_illumination_comes_from_the_checkpoint(tmp_path: Path, embedder: FaceEmbedder) -> None:
    assert embedder.illumination == "none"  # checkpoints written before issue #16 have no key
    path = tmp_path / "clahe.pt"
    save_checkpoint(path, {**_payload(), "illumination": "clahe"})
    assert FaceEmbedder.from_checkpoint(path).illumination == "clahe"
