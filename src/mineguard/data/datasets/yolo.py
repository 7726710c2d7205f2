"""YOLO-format data sets: load a data.yaml, read labels, and validate the whole set.

The format pieces live in small modules and are re-exported here, so callers need one import::

    from mineguard.data.datasets.yolo import load_data_yaml, validate_dataset
    spec = load_data_yaml("data/helmets/data.yaml")
    print(validate_dataset(spec).format())
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mineguard.data.datasets.data_yaml import FLAT_SPLIT, DatasetSpec, load_data_yaml, write_data_yaml
from mineguard.data.datasets.images import SkippedImage, probe_image
from mineguard.data.datasets.labels import LabelIssue, label_path_for, read_yolo_labels

__all__ = [
    "FLAT_SPLIT",
    "DatasetSpec",
    "LabelIssue",
    "LabelledImage",
    "SkippedImage",
    "SplitStats",
    "ValidationReport",
    "label_path_for",
    "load_data_yaml",
    "read_yolo_labels",
    "scan_images",
    "validate_dataset",
    "write_data_yaml",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledImage:
    """A readable image with its labels.

    Attributes:
        path: image file.
        width, height: upright image size in pixels.
        boxes: (N, 4) float32 xyxy in pixels of the original image.
        class_ids: (N,) int64.
    """

    path: Path
    width: int
    height: int
    boxes: np.ndarray
    class_ids: np.ndarray


def scan_images(
    image_paths: Iterable[Path], num_classes: int, issues: list[LabelIssue], skipped: list[SkippedImage]
) -> Iterator[LabelledImage]:
    """Probe each image (fast PIL check) and read its labels.

    Unreadable images are appended to ``skipped`` and not yielded; label problems are appended to
    ``issues`` (bad lines are dropped, a missing label file reads as "no objects").
    """
    for path in image_paths:
        path = Path(path)
        try:
            width, height = probe_image(path)
        except OSError as exc:
            skipped.append(SkippedImage(path, str(exc)))
            continue
        boxes, class_ids, label_issues = read_yolo_labels(label_path_for(path), (width, height), num_classes)
        issues.extend(label_issues)
        yield LabelledImage(path, width, height, boxes, class_ids)


@dataclass
class SplitStats:
    """Counts for one split: usable images, images with no objects, instances per class id."""

    images: int = 0
    background: int = 0
    instances: list[int] = field(default_factory=list)


@dataclass
class ValidationReport:
    """What :func:`validate_dataset` found.

    Attributes:
        names: class names.
        splits: split name -> counts.
        issues: label problems (bad lines are skipped when training) and split overlaps.
        skipped: unreadable images (left out when training).
        source: the data.yaml or folder checked.
    """

    names: tuple[str, ...]
    splits: dict[str, SplitStats]
    issues: list[LabelIssue] = field(default_factory=list)
    skipped: list[SkippedImage] = field(default_factory=list)
    source: Path | None = None

    @property
    def ok(self) -> bool:
        """True when nothing was reported."""
        return not self.issues and not self.skipped

    def format(self, max_listed: int = 20) -> str:
        """Human-readable summary: a table of counts, then the first ``max_listed`` problems."""
        header = ["split", "images", "background", *self.names]
        rows = [header]
        for split, stats in self.splits.items():
            rows.append([split, str(stats.images), str(stats.background), *map(str, stats.instances)])
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [f"data set: {self.source}" if self.source else "data set:"]
        lines += [
            ("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip() for row in rows
        ]
        for title, items in (("label issue", self.issues), ("skipped image", self.skipped)):
            if not items:
                continue
            lines.append(f"{len(items)} {title}{'s' if len(items) != 1 else ''}:")
            lines += [f"  {item}" for item in items[:max_listed]]
            if len(items) > max_listed:
                lines.append(f"  ... and {len(items) - max_listed} more")
        if self.ok:
            lines.append("no problems found")
        return "\n".join(lines)


def validate_dataset(spec: DatasetSpec) -> ValidationReport:
    """Open every image (PIL verify), read every label file and count what is there.

    Also reports an image that sits in more than one split (test images leaking into training).
    """
    report = ValidationReport(names=spec.names, splits={}, source=spec.yaml_path or spec.root)
    first_split: dict[Path, str] = {}
    for split, paths in spec.splits.items():
        stats = SplitStats(instances=[0] * spec.num_classes)
        for item in scan_images(paths, spec.num_classes, report.issues, report.skipped):
            stats.images += 1
            stats.background += int(len(item.class_ids) == 0)
            for class_id, count in zip(*np.unique(item.class_ids, return_counts=True), strict=True):
                stats.instances[int(class_id)] += int(count)
            key = item.path.resolve()
            if key in first_split and first_split[key] != split:
                report.issues.append(
                    LabelIssue(
                        item.path,
                        None,
                        f"image is in both '{first_split[key]}' and '{split}' — keep it in one split only",
                    )
                )
            first_split.setdefault(key, split)
        report.splits[split] = stats
    logger.info("validated %s: %d issues, %d skipped images", report.source, len(report.issues), len(report.skipped))
    return report
