"""One merged hazard set from a taxonomy's sources, and which of its classes have data.

:func:`build_hazard_set` turns each source entry of a :class:`HazardTaxonomy` into a
:class:`~mineguard.data.remap.SourceSpec` and merges them with the one merger
(:func:`~mineguard.data.remap.merge_sources`): YOLO folders of symlinks, labels remapped to the
taxonomy's class ids, a data.yaml with ``names`` in taxonomy order plus ``groups:`` and
``taxonomy:``. :func:`hazard_coverage` counts boxes and images per class, group and split in a
merged set, so every class without data is named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mineguard.data.datasets.data_yaml import load_data_yaml, spec_from_mapping
from mineguard.data.datasets.images import probe_image
from mineguard.data.datasets.labels import label_path_for, read_yolo_labels
from mineguard.data.errors import DatasetError
from mineguard.data.remap import MergeSummary, SourceSpec, merge_sources
from mineguard.data.split import SPLIT_NAMES
from mineguard.data.taxonomy import HazardTaxonomy, TaxonomySource


def _source_spec(
    entry: TaxonomySource, data_root: Path, taxonomy_file: Path | None, max_images: int | None
) -> SourceSpec:
    folder = data_root / entry.path
    if not folder.is_dir():
        raise DatasetError(
            f"{taxonomy_file}: source {entry.name!r}: folder {folder} not found — pass the data root that holds "
            f"{entry.path!r} (--data), or leave the source out (--sources)"
        )
    if entry.data_yaml is not None:
        dataset = load_data_yaml(folder / entry.data_yaml)
    else:
        where = Path(f"{taxonomy_file} (source {entry.name})")
        dataset = spec_from_mapping({"names": list(entry.names or ()), **(entry.images or {})}, where, root=folder)
    return SourceSpec(
        entry.name,
        dataset,
        dict(entry.mapping),
        keep_splits=entry.keep_splits,
        group_pattern=entry.group_pattern,
        frame_gap=entry.frame_gap,
        max_images=max_images,
    )


def build_hazard_set(
    taxonomy: HazardTaxonomy,
    data_root: Path | str,
    out_dir: Path | str,
    *,
    sources: Sequence[str] | None = None,
    max_images: Mapping[str, int | None] | None = None,
    fractions: Sequence[float] = (0.65, 0.15, 0.2),
    seed: int = 0,
    overwrite: bool = False,
) -> MergeSummary:
    """Merge the taxonomy's sources found under ``data_root`` into one YOLO set at ``out_dir``.

    Args:
        sources: names of the sources to use (default: all of the taxonomy's).
        max_images: source name -> cap replacing the taxonomy's ``max_images`` (None: no cap).
        fractions, seed: the split of sources that do not keep their own.
    """
    chosen = [taxonomy.source(name) for name in sources] if sources is not None else list(taxonomy.sources)
    if not chosen:
        raise DatasetError(f"{taxonomy.source_file}: no sources to merge — add entries under 'sources'")
    caps = dict(max_images or {})
    for name in caps:
        taxonomy.source(name)  # a cap for an unknown source is a spelling mistake
    specs = [_source_spec(e, Path(data_root), taxonomy.source_file, caps.get(e.name, e.max_images)) for e in chosen]
    extra: dict[str, object] = {"taxonomy": taxonomy.name, "groups": taxonomy.groups_table()}
    return merge_sources(specs, taxonomy.names, out_dir, fractions, seed, overwrite=overwrite, yaml_extra=extra)


SMALL_SIDE = 16.0  # px at the network input: two cells of the finest (stride-8) level


@dataclass(frozen=True)
class ClassCoverage:
    """Boxes and images of one class per split (split -> count) in a merged set; with an input size, the
    median box side (sqrt of width x height) in pixels of that input and the share under ``SMALL_SIDE``."""

    name: str
    group: str
    boxes: dict[str, int]
    images: dict[str, int]
    median_side: dict[str, float] | None = None
    small_share: dict[str, float] | None = None

    @property
    def has_data(self) -> bool:
        return sum(self.boxes.values()) > 0


@dataclass(frozen=True)
class HazardCoverage:
    """Which taxonomy classes a merged set covers, and how much of each.

    Attributes:
        splits: split names in order; classes: one entry per taxonomy class, in id order;
        images: split -> all images (background included).
    """

    splits: tuple[str, ...]
    classes: tuple[ClassCoverage, ...]
    images: dict[str, int]
    img_size: int | None = None  # the network input the box sides are measured at (None: not measured)

    @property
    def missing(self) -> tuple[str, ...]:
        """Classes with no box in any split."""
        return tuple(c.name for c in self.classes if not c.has_data)

    def group_boxes(self) -> dict[str, dict[str, int]]:
        """Group -> split -> boxes."""
        table: dict[str, dict[str, int]] = {}
        for c in self.classes:
            row = table.setdefault(c.group, dict.fromkeys(self.splits, 0))
            for split in self.splits:
                row[split] += c.boxes[split]
        return table

    def format(self) -> str:
        """One line per class: boxes / images per split, or "no data"."""
        head = "  ".join(f"{s:>13}" for s in self.splits)
        lines = [f"{'class':<30} {'group':<11} {head}   (boxes/images)"]
        if self.img_size is not None:
            lines[0] += f"   median box side at {self.img_size} px / share under {SMALL_SIDE:g} px, per split"
        for c in self.classes:
            cells = "  ".join(f"{c.boxes[s]:>6}/{c.images[s]:<6}" for s in self.splits)
            if c.has_data and c.median_side is not None and c.small_share is not None:
                sides = "  ".join(
                    f"{c.median_side[s]:>5.0f}/{c.small_share[s]:.2f}" if c.boxes[s] else f"{'-':>10}"
                    for s in self.splits
                )
                cells += f"   {sides}"
            lines.append(f"{c.name:<30} {c.group:<11} {cells if c.has_data else 'no data'}")
        for group, row in self.group_boxes().items():
            lines.append(f"{'group ' + group:<42} " + "  ".join(f"{row[s]:>6} boxes  " for s in self.splits))
        lines.append("images (background included): " + ", ".join(f"{s} {n}" for s, n in self.images.items()))
        return "\n".join(lines)


def hazard_coverage(taxonomy: HazardTaxonomy, data_yaml: Path | str, img_size: int | None = None) -> HazardCoverage:
    """Count boxes and images per taxonomy class and split in a merged set (labels only, no pixels); with
    ``img_size``, also each class's box sides at that network input (image headers are read for their size).

    Raises:
        DatasetError: when the set's class names are not the taxonomy's, in order, or (with ``img_size``)
            an image cannot be read.
    """
    spec = load_data_yaml(data_yaml)
    if spec.names != taxonomy.names:
        raise DatasetError(
            f"{data_yaml}: classes {list(spec.names)} are not taxonomy {taxonomy.name!r}'s {list(taxonomy.names)} "
            "— build the set with 'mineguard data hazards' and the same taxonomy"
        )
    splits = tuple(s for s in dict.fromkeys((*SPLIT_NAMES, *spec.splits)) if s in spec.splits)
    boxes = {name: dict.fromkeys(splits, 0) for name in spec.names}
    images = {name: dict.fromkeys(splits, 0) for name in spec.names}
    sides: dict[str, dict[str, list[float]]] = {name: {s: [] for s in splits} for name in spec.names}
    for split in splits:
        for image in spec.splits[split]:
            xyxy, class_ids, _ = read_yolo_labels(label_path_for(image), (1, 1), len(spec.names))
            for class_id in class_ids.tolist():
                boxes[spec.names[class_id]][split] += 1
            for class_id in set(class_ids.tolist()):
                images[spec.names[class_id]][split] += 1
            if img_size is not None and len(class_ids):
                for class_id, side in zip(class_ids.tolist(), _input_sides(image, xyxy, img_size), strict=True):
                    sides[spec.names[class_id]][split].append(side)
    classes = tuple(
        ClassCoverage(
            name, taxonomy.group_of(name).name, boxes[name], images[name], *_side_stats(sides[name], img_size)
        )
        for name in spec.names
    )
    return HazardCoverage(splits, classes, {s: len(spec.splits[s]) for s in splits}, img_size)


def _side_stats(
    sides: Mapping[str, list[float]], img_size: int | None
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """Per split, the median box side and the share under ``SMALL_SIDE`` (0 for a split without boxes);
    (None, None) when the sides were not measured."""
    if img_size is None:
        return None, None
    median = {split: float(np.median(v)) if v else 0.0 for split, v in sides.items()}
    small = {split: float(np.mean(np.less(v, SMALL_SIDE))) if v else 0.0 for split, v in sides.items()}
    return median, small


def _input_sides(image: Path, xyxy_norm: np.ndarray, img_size: int) -> list[float]:
    """Each box's side, sqrt(width x height), in pixels of the letterboxed ``img_size`` network input."""
    try:
        width, height = probe_image(image)
    except OSError as exc:
        raise DatasetError(f"{image}: {exc} — fix or remove the image, then count again") from exc
    scale = img_size / max(width, height)
    w = (xyxy_norm[:, 2] - xyxy_norm[:, 0]) * width * scale
    h = (xyxy_norm[:, 3] - xyxy_norm[:, 1]) * height * scale
    return np.sqrt(w * h).tolist()
