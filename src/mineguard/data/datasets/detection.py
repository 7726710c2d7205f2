"""``DetectionDataset``: YOLO-format images and labels as letterboxed tensors for training.

Unreadable images are found when the data set is built (a fast PIL check) and left out, listed
in ``dataset.skipped``; label problems are listed in ``dataset.issues``. Nothing fails deep inside
a training loop because of one bad file.

Augmentation is reproducible: sample ``i`` of epoch ``e`` draws from
``numpy.random.default_rng([seed, e, i])``, whatever the DataLoader worker. Call
:meth:`DetectionDataset.set_epoch` before each epoch (with persistent workers the epoch reaches
the workers only if they are re-created).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from mineguard.data.corruptions import random_corruption
from mineguard.data.datasets.data_yaml import DatasetSpec, load_data_yaml
from mineguard.data.datasets.images import SkippedImage, read_rgb
from mineguard.data.datasets.labels import LabelIssue
from mineguard.data.datasets.yolo import LabelledImage, scan_images
from mineguard.data.errors import DatasetError
from mineguard.data.records import Detections
from mineguard.data.transforms import (
    AugmentConfig,
    letterbox,
    letterbox_boxes,
    mosaic4,
    random_blur,
    random_brightness,
    random_crop,
    random_flip,
    scale_boxes_to_original,
)

__all__ = [
    "DetectionBatch",
    "DetectionDataset",
    "DetectionSample",
    "collate_detection",
    "scale_boxes_to_original",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectionSample:
    """One letterboxed training/evaluation sample.

    Attributes:
        image: (3, S, S) float32 RGB in [0, 1].
        boxes: (N, 4) float32 xyxy pixels in the letterboxed S x S frame.
        labels: (N,) int64 class ids.
        path: image file.
        orig_shape: (height, width) of the original image.
        ratio, pad: the letterbox scale and (pad_w, pad_h); with ``augment=None``
            ``scale_boxes_to_original(boxes, ratio, pad, orig_shape)`` maps boxes back to the
            original image. For mosaic samples they are 1.0 and (0, 0).
    """

    image: torch.Tensor
    boxes: torch.Tensor
    labels: torch.Tensor
    path: str
    orig_shape: tuple[int, int]
    ratio: float
    pad: tuple[int, int]


@dataclass(frozen=True)
class DetectionBatch:
    """A collated batch.

    Attributes:
        images: (B, 3, S, S) float32 in [0, 1].
        targets: (T, 6) float32 rows [batch_index, class_id, x1, y1, x2, y2], pixels of the
            letterboxed frame; T is the total number of boxes in the batch.
        samples: the samples, for paths and letterbox parameters.
    """

    images: torch.Tensor
    targets: torch.Tensor
    samples: list[DetectionSample]

    def to(self, device: torch.device | str) -> DetectionBatch:
        """The same batch with ``images`` and ``targets`` on ``device``."""
        return DetectionBatch(self.images.to(device), self.targets.to(device), self.samples)


def collate_detection(batch: Sequence[DetectionSample]) -> DetectionBatch:
    """Stack images and concatenate boxes into (T, 6) targets; use as a DataLoader ``collate_fn``."""
    images = torch.stack([s.image for s in batch])
    rows = [
        torch.cat([torch.full((len(s.labels), 1), float(b)), s.labels[:, None].float(), s.boxes], dim=1)
        for b, s in enumerate(batch)
    ]
    targets = torch.cat(rows) if rows else torch.zeros((0, 6))
    return DetectionBatch(images=images, targets=targets.float(), samples=list(batch))


class DetectionDataset(Dataset[DetectionSample]):
    """Images with YOLO labels, letterboxed to ``img_size`` and optionally augmented.

    Args:
        image_paths: image files; labels are found with ``label_path_for``.
        names: class names (ids are indices).
        img_size: side S of the square network input, pixels.
        augment: training augmentations, or None for evaluation (letterbox only).
        seed: base seed of the per-sample generators.
        cache: keep decoded images in memory (per DataLoader worker process).

    Raises:
        DatasetError: when images were given but none of them can be read.
    """

    def __init__(
        self,
        image_paths: Sequence[Path | str],
        names: Sequence[str],
        *,
        img_size: int = 640,
        augment: AugmentConfig | None = None,
        seed: int = 0,
        cache: bool = False,
    ) -> None:
        if img_size < 32:
            raise ValueError(f"img_size={img_size} is too small; use at least 32 pixels")
        self.names = tuple(names)
        self.img_size = img_size
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.issues: list[LabelIssue] = []
        self.skipped: list[SkippedImage] = []
        self._items: list[LabelledImage] = list(
            scan_images(map(Path, image_paths), len(self.names), self.issues, self.skipped)
        )
        self._cache: dict[int, np.ndarray] | None = {} if cache else None
        if self.skipped:
            logger.warning("%d unreadable images skipped, e.g. %s", len(self.skipped), self.skipped[0])
        if self.issues:
            logger.warning("%d label issues (bad lines skipped), e.g. %s", len(self.issues), self.issues[0])
        if len(image_paths) and not self._items:
            raise DatasetError(
                f"none of the {len(image_paths)} images can be read (e.g. {self.skipped[0]}) — check the "
                "image paths with 'mineguard data validate'"
            )

    @classmethod
    def from_spec(cls, spec: DatasetSpec, split: str, **kwargs: Any) -> DetectionDataset:
        """The data set of one split of a :class:`DatasetSpec` (kwargs as for ``__init__``)."""
        return cls(spec.images(split), spec.names, **kwargs)

    @classmethod
    def from_data_yaml(cls, path: Path | str, split: str, **kwargs: Any) -> DetectionDataset:
        """The data set of one split of a data.yaml (kwargs as for ``__init__``)."""
        return cls.from_spec(load_data_yaml(path), split, **kwargs)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    @property
    def image_paths(self) -> list[Path]:
        """Paths of the usable images, in index order."""
        return [item.path for item in self._items]

    def set_epoch(self, epoch: int) -> None:
        """Select the augmentation draws of ``epoch`` (same epoch, same samples)."""
        self.epoch = int(epoch)

    def box_sizes(self) -> np.ndarray:
        """(N, 2) float32 widths, heights of every labelled box, in pixels of the letterboxed network
        input (``img_size``), from the labels alone (no image is read) — what anchors are fitted to."""
        sizes = [
            (item.boxes[:, 2:4] - item.boxes[:, 0:2]) * np.float32(self.img_size / max(item.width, item.height))
            for item in self._items
            if len(item.boxes)
        ]
        return np.concatenate(sizes).astype(np.float32) if sizes else np.zeros((0, 2), np.float32)

    def load_ground_truth(self, index: int) -> Detections:
        """Labels of image ``index`` in ORIGINAL image pixels (confidence 1), for evaluation."""
        item = self._items[index]
        return Detections(item.boxes.copy(), item.class_ids.copy())

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(RGB image, boxes in its pixels, class ids), fresh copies of the boxes."""
        item = self._items[index]
        image = self._cache.get(index) if self._cache is not None else None
        if image is None:
            image = read_rgb(item.path)
            if self._cache is not None:
                self._cache[index] = image
        boxes = item.boxes.copy()
        h, w = image.shape[:2]
        if (w, h) != (item.width, item.height):  # decoder disagrees with the header; trust pixels
            boxes *= np.float32([w / item.width, h / item.height] * 2)
        return image, boxes, item.class_ids.copy()

    def _augmented(
        self, index: int, rng: np.random.Generator, config: AugmentConfig
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, tuple[int, int]]:
        size = self.img_size
        if rng.random() < config.mosaic and len(self) > 1:
            indices = [index, *rng.integers(0, len(self), 3).tolist()]
            images, boxes_list, ids_list = zip(*(self._load(i) for i in indices), strict=True)
            image, boxes, ids = mosaic4(images, boxes_list, ids_list, size, rng, min_visible=config.min_visible)
            ratio, pad = 1.0, (0, 0)
        else:
            image, boxes, ids = self._load(index)
            image, boxes, ids = random_crop(
                image,
                boxes,
                ids,
                rng,
                p=config.crop,
                min_scale=config.crop_min_scale,
                min_visible=config.min_visible,
            )
            image, ratio, pad = letterbox(image, size)
            boxes = letterbox_boxes(boxes, ratio, pad)
        image, boxes = random_flip(image, boxes, rng, p=config.flip)
        image = random_brightness(image, rng, p=config.brightness, gain=config.brightness_gain)
        image = random_blur(image, rng, p=config.blur, max_kernel=config.blur_max_kernel)
        image = random_corruption(image, rng, p=config.underground)
        return image, boxes, ids, ratio, pad

    def __getitem__(self, index: int) -> DetectionSample:
        item = self._items[index]
        if self.augment is None:
            image, boxes, ids = self._load(index)
            image, ratio, pad = letterbox(image, self.img_size)
            boxes = letterbox_boxes(boxes, ratio, pad)
        else:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            image, boxes, ids, ratio, pad = self._augmented(index, rng, self.augment)
        boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).clip(0, self.img_size)
        tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)
        return DetectionSample(
            image=tensor,
            boxes=torch.from_numpy(boxes),
            labels=torch.from_numpy(np.asarray(ids, dtype=np.int64)),
            path=str(item.path),
            orig_shape=(item.height, item.width),
            ratio=float(ratio),
            pad=(int(pad[0]), int(pad[1])),
        )
