"""DetectionDataset and collate: shapes, skipped images, augmentation determinism, GT round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mineguard.data.datasets.detection import (
    DetectionDataset,
    collate_detection,
    scale_boxes_to_original,
)
from mineguard.data.datasets.yolo import load_data_yaml
from mineguard.data.errors import DatasetError
from mineguard.data.synthetic import generate_helmet_dataset
from mineguard.data.transforms import AugmentConfig


@pytest.fixture(scope="module")
def synth_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_helmet_dataset(tmp_path_factory.mktemp("synth"), n_train=8, n_val=4, n_test=0, img_size=96)


def _set_with_corrupt_image(root: Path) -> list[Path]:
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    Image.new("RGB", (200, 100), (50, 60, 70)).save(root / "images" / "wide.jpg")
    (root / "labels" / "wide.txt").write_text("0 0.25 0.5 0.1 0.2\n1 0.75 0.5 0.2 0.4\n5 0.5 0.5 0.1 0.1\n")
    Image.new("RGB", (60, 120)).save(root / "images" / "tall.png")  # no label file: background
    (root / "images" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    return sorted((root / "images").iterdir())


def test_dataset_skips_corrupt_image_and_collects_issues(tmp_path: Path) -> None:
    dataset = DetectionDataset(_set_with_corrupt_image(tmp_path), ["helmet", "no_helmet"], img_size=64)
    assert len(dataset) == 2
    assert [s.path.name for s in dataset.skipped] == ["broken.jpg"]
    assert {(i.path.name, i.line) for i in dataset.issues} == {("wide.txt", 3), ("tall.txt", None)}
    sample = dataset[dataset.image_paths.index(tmp_path / "images" / "wide.jpg")]
    assert sample.image.shape == (3, 64, 64) and sample.image.dtype == torch.float32
    assert float(sample.image.min()) >= 0.0 and float(sample.image.max()) <= 1.0
    assert sample.orig_shape == (100, 200) and sample.ratio == pytest.approx(0.32) and sample.pad == (0, 16)
    assert sample.labels.tolist() == [0, 1] and sample.labels.dtype == torch.int64
    # [0.25 +- 0.05] * 200 = 40..60 px, y 40..60 -> x 12.8..19.2, y 16 + 12.8..19.2
    torch.testing.assert_close(sample.boxes[0], torch.tensor([12.8, 28.8, 19.2, 35.2]), atol=1e-4, rtol=0)


def test_all_unreadable_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    with pytest.raises(DatasetError, match="none of the 1 images can be read"):
        DetectionDataset([tmp_path / "bad.jpg"], ["a"])


def test_collate_shapes_and_targets(synth_yaml: Path) -> None:
    dataset = DetectionDataset.from_data_yaml(synth_yaml, "train", img_size=96)
    batch = collate_detection([dataset[i] for i in range(4)])
    assert batch.images.shape == (4, 3, 96, 96)
    n_boxes = sum(len(s.labels) for s in batch.samples)
    assert batch.targets.shape == (n_boxes, 6) and batch.targets.dtype == torch.float32
    assert batch.targets[:, 0].tolist() == sorted(batch.targets[:, 0].tolist())
    assert set(batch.targets[:, 0].long().tolist()) <= {0, 1, 2, 3}
    first = batch.samples[0]
    torch.testing.assert_close(batch.targets[: len(first.labels), 2:], first.boxes)
    assert batch.to("cpu").images.shape == batch.images.shape


def test_ground_truth_round_trip_within_one_pixel(synth_yaml: Path, tmp_path: Path) -> None:
    paths = load_data_yaml(synth_yaml).images("train")
    # make one non-square image so the letterbox pads
    wide = tmp_path / "images" / "wide.jpg"
    wide.parent.mkdir()
    Image.open(paths[0]).resize((150, 96)).save(wide)
    label = (paths[0].parent.parent / "labels" / paths[0].with_suffix(".txt").name).read_text()
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "wide.txt").write_text(label)
    dataset = DetectionDataset([*paths[:3], wide], ["helmet", "no_helmet"], img_size=64)
    for i in range(len(dataset)):
        sample, truth = dataset[i], dataset.load_ground_truth(i)
        back = scale_boxes_to_original(sample.boxes, sample.ratio, sample.pad, sample.orig_shape)
        np.testing.assert_allclose(back.numpy(), truth.xyxy, atol=1.0)
        np.testing.assert_array_equal(truth.class_id, sample.labels.numpy())
        assert (truth.confidence == 1).all()


def test_augmentation_is_deterministic_per_seed_epoch_index(synth_yaml: Path) -> None:
    config = AugmentConfig(flip=0.5, crop=0.5, brightness=0.5, blur=0.3, mosaic=0.5)
    a = DetectionDataset.from_data_yaml(synth_yaml, "train", img_size=96, augment=config, seed=1)
    b = DetectionDataset.from_data_yaml(synth_yaml, "train", img_size=96, augment=config, seed=1)
    for i in range(len(a)):
        sa, sb = a[i], b[i]
        torch.testing.assert_close(sa.image, sb.image)
        torch.testing.assert_close(sa.boxes, sb.boxes)
        assert sa.image.shape == (3, 96, 96)
        assert (sa.boxes >= 0).all() and (sa.boxes <= 96).all()
        assert len(sa.boxes) == len(sa.labels)
    a.set_epoch(1)
    changed = [not torch.equal(a[i].image, b[i].image) for i in range(len(a))]
    assert any(changed)


def test_underground_augmentation_changes_pixels_but_not_boxes(synth_yaml: Path) -> None:
    still = AugmentConfig(flip=0, crop=0, brightness=0, blur=0)
    plain = DetectionDataset.from_data_yaml(synth_yaml, "train", img_size=96, augment=still, seed=1)
    config = AugmentConfig(flip=0, crop=0, brightness=0, blur=0, underground=1.0)
    dusty = DetectionDataset.from_data_yaml(synth_yaml, "train", img_size=96, augment=config, seed=1)
    for i in range(len(plain)):
        assert not torch.equal(plain[i].image, dusty[i].image)
        torch.testing.assert_close(plain[i].boxes, dusty[i].boxes)


def test_cache_gives_the_same_samples(synth_yaml: Path) -> None:
    plain = DetectionDataset.from_data_yaml(synth_yaml, "val", img_size=64)
    cached = DetectionDataset.from_data_yaml(synth_yaml, "val", img_size=64, cache=True)
    for _ in range(2):
        torch.testing.assert_close(plain[1].image, cached[1].image)


def test_dataloader_with_collate(synth_yaml: Path) -> None:
    dataset = DetectionDataset.from_data_yaml(synth_yaml, "train", img_size=64, augment=AugmentConfig())
    loader = torch.utils.data.DataLoader(dataset, batch_size=3, collate_fn=collate_detection)
    sizes = [batch.images.shape[0] for batch in loader]
    assert sizes == [3, 3, 2]


def test_exif_rotated_image_uses_upright_size(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°: stored 200x100, shown 100x200
    Image.new("RGB", (200, 100)).save(tmp_path / "r.jpg", exif=exif)
    (tmp_path / "r.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    dataset = DetectionDataset([tmp_path / "r.jpg"], ["a"], img_size=64)
    assert dataset[0].orig_shape == (200, 100)
    np.testing.assert_allclose(dataset.load_ground_truth(0).xyxy, [[25, 50, 75, 150]])
