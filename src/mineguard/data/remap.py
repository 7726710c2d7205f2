"""Class remapping and merging of several YOLO sets into one, without touching the originals.

Each source has a :class:`ClassMap` from its class names to the target names (``None`` drops
a class). A source either keeps its own train/val/test split (``keep_splits=True``) or is
split by :func:`mineguard.data.split.grouped_split`. The merged set is
``out_dir/{train,val,test}/images`` (symlinks to the original images, named
``<source>_<file>`` so sources cannot collide) and ``labels`` (remapped ``.txt``; polygons become
boxes), plus ``data.yaml``. Label lines dropped by the mapping are counted per source class.

A source may name *groups* of images that must stay on one side of the split (frames of one
video, tiles of one photo, augmented copies of one image) by a regular expression on the file
name, and may be capped to ``max_images`` (whole groups, drawn with the seed, in proportion to
its own splits when they are kept) so one large source does not swamp the others.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mineguard.data.datasets.data_yaml import DatasetSpec, load_data_yaml, write_data_yaml
from mineguard.data.datasets.images import SkippedImage, link_or_copy
from mineguard.data.datasets.labels import LabelIssue, write_yolo_labels
from mineguard.data.datasets.yolo import scan_images
from mineguard.data.errors import DatasetError
from mineguard.data.split import SPLIT_NAMES, grouped_split, image_groups, subsample_groups

logger = logging.getLogger(__name__)

HELMET_NAMES = ("helmet", "no_helmet")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ClassMap:
    """Source class name -> target class name, or None to drop the class.

    A source class not in ``mapping`` keeps its name if that is a target name; otherwise it is
    an error (every class must be mapped or dropped explicitly).
    """

    mapping: dict[str, str | None]
    target_names: Sequence[str]

    def __post_init__(self) -> None:
        if not self.target_names or len(set(self.target_names)) != len(self.target_names):
            raise DatasetError(f"class map: target names {list(self.target_names)} must be non-empty and unique")
        for source, target in self.mapping.items():
            if target is not None and target not in self.target_names:
                raise DatasetError(
                    f"class map: {source!r} -> {target!r}, but {target!r} is not a target class "
                    f"{list(self.target_names)} — map it to one of them, or to None to drop it"
                )

    def table(self, source_names: Sequence[str], source: str = "source") -> np.ndarray:
        """(len(source_names),) int64 target id per source id; -1 where the class is dropped."""
        unknown = sorted(set(self.mapping) - set(source_names))
        if unknown:
            raise DatasetError(
                f"{source}: class map names {unknown}, but the data set's classes are {list(source_names)} "
                "— fix the spelling in the mapping"
            )
        table = []
        for name in source_names:
            target = self.mapping.get(name, name)
            if target is not None and target not in self.target_names:
                raise DatasetError(
                    f"{source}: class {name!r} has no mapping — map it to one of {list(self.target_names)} "
                    "or to None to drop it"
                )
            table.append(-1 if target is None else list(self.target_names).index(target))
        return np.asarray(table, dtype=np.int64)


@dataclass(frozen=True)
class SourceSpec:
    """One data set to merge.

    Attributes:
        name: short name, the prefix of its files in the merged set (letters, digits, ``_.-``).
        data_yaml: its data.yaml, or the set already read (``DatasetSpec``).
        mapping: source class -> target class or None (see :class:`ClassMap`).
        keep_splits: keep its train/val/test (``valid`` counts as ``val``); otherwise all its
            images are pooled and split by the stratified splitter.
        group_pattern: regular expression searched in each image's file name; images whose
            first capture group (or whole match) is equal stay in one split. None: each image
            is its own group.
        frame_gap: with a ``frame`` group in the pattern, frames further apart start a new group
            (see :func:`mineguard.data.split.image_groups`).
        max_images: keep at most this many images (whole groups, seeded); None keeps all.
    """

    name: str
    data_yaml: Path | DatasetSpec
    mapping: dict[str, str | None] = field(default_factory=dict)
    keep_splits: bool = False
    group_pattern: str | None = None
    frame_gap: int = 5
    max_images: int | None = None

    def load(self) -> DatasetSpec:
        """The source's :class:`DatasetSpec` (read from its data.yaml when given a path)."""
        return self.data_yaml if isinstance(self.data_yaml, DatasetSpec) else load_data_yaml(self.data_yaml)


@dataclass
class MergeSummary:
    """What :func:`merge_sources` wrote.

    Attributes:
        images: split -> number of images; instances: split -> boxes per target class.
        per_source: source -> split -> number of images.
        dropped: source -> source class name -> label lines dropped by the mapping.
        issues, skipped: bad label lines (skipped) and unreadable images (left out).
    """

    data_yaml: Path
    names: tuple[str, ...]
    images: dict[str, int] = field(default_factory=dict)
    instances: dict[str, list[int]] = field(default_factory=dict)
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: list[LabelIssue] = field(default_factory=list)
    skipped: list[SkippedImage] = field(default_factory=list)

    def format(self) -> str:
        """Human-readable summary."""
        lines = [f"merged data set: {self.data_yaml}", f"classes: {list(self.names)}"]
        for split, count in self.images.items():
            counts = ", ".join(f"{n} {c}" for n, c in zip(self.names, self.instances[split], strict=True))
            sources = ", ".join(f"{s} {d.get(split, 0)}" for s, d in self.per_source.items())
            lines.append(f"  {split}: {count} images ({sources}); boxes: {counts}")
        for source, dropped in self.dropped.items():
            if dropped:
                lines.append(f"  dropped from {source}: " + ", ".join(f"{n} {k}" for k, n in dropped.items()))
        if self.issues or self.skipped:
            lines.append(
                f"  {len(self.issues)} bad label lines skipped, {len(self.skipped)} unreadable images left out "
                "— run 'mineguard data validate' on the sources for details"
            )
        return "\n".join(lines)


def _prepare_out_dir(out: Path, roots: list[Path], overwrite: bool) -> None:
    resolved = out.resolve()
    for root in roots:
        root = root.resolve()
        if resolved == root or root in resolved.parents or resolved in root.parents:
            raise DatasetError(
                f"output folder {out} overlaps the source {root} — merge into a new folder outside the sources"
            )
    existing = [out / name for name in (*SPLIT_NAMES, "data.yaml") if (out / name).exists()]
    if existing and not overwrite:
        raise DatasetError(
            f"{existing[0]} already exists — choose a new output folder or pass overwrite=True (CLI: --overwrite)"
        )
    for path in existing:  # links inside are removed, never followed
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def merge_sources(
    sources: Sequence[SourceSpec],
    target_names: Sequence[str],
    out_dir: Path | str,
    split: Sequence[float] = (0.65, 0.15, 0.2),
    seed: int = 0,
    *,
    overwrite: bool = False,
    yaml_extra: dict[str, object] | None = None,
) -> MergeSummary:
    """Merge ``sources`` into ``out_dir`` (see the module docstring); returns the summary.

    ``yaml_extra`` adds keys to the merged data.yaml after ``names`` (e.g. ``groups``).
    """
    if not sources:
        raise DatasetError("merge: no sources given")
    names = [s.name for s in sources]
    bad = [n for n in names if not _SAFE_NAME.match(n)] + [n for n, c in Counter(names).items() if c > 1]
    if bad:
        raise DatasetError(f"merge: source names {bad} must be unique and use only letters, digits, '_', '.', '-'")
    out = Path(out_dir)
    specs = [s.load() for s in sources]
    _prepare_out_dir(out, [spec.root for spec in specs], overwrite)
    summary = MergeSummary(data_yaml=out / "data.yaml", names=tuple(target_names))
    summary.images = dict.fromkeys(SPLIT_NAMES[: len(split)], 0)
    summary.instances = {s: [0] * len(target_names) for s in summary.images}
    used: set[Path] = set()
    for source, spec in zip(sources, specs, strict=True):
        table = ClassMap(source.mapping, target_names).table(spec.names, source.name)
        entries = []  # [split, image, ids, boxes, dropped class names]
        for src_split, paths in spec.splits.items():
            if source.keep_splits and src_split not in SPLIT_NAMES:
                raise DatasetError(
                    f"{spec.yaml_path}: source {source.name!r} has no train/val/test splits (found "
                    f"{src_split!r}) — set keep_splits=False to split it"
                )
            for item in scan_images(paths, spec.num_classes, summary.issues, summary.skipped):
                mapped = table[item.class_ids]
                boxes = item.boxes[mapped >= 0] / np.float32([item.width, item.height] * 2)
                lost = [spec.names[c] for c in item.class_ids[mapped < 0]]
                entries.append([src_split, item.path, mapped[mapped >= 0], boxes, lost])
        entries = _place(entries, source, split, seed)  # after a cap, only the kept images count
        summary.dropped[source.name] = dict(sorted(Counter(n for e in entries for n in e[4]).items()))
        summary.per_source[source.name] = dict(Counter(e[0] for e in entries))
        for part, image, ids, boxes, _ in entries:
            target = out / part / "images" / f"{source.name}_{image.name}"
            k = 1
            while target in used:
                target = target.with_name(f"{source.name}_{image.stem}_{k}{image.suffix}")
                k += 1
            used.add(target)
            link_or_copy(image, target)
            write_yolo_labels(out / part / "labels" / f"{target.stem}.txt", ids, boxes)
            summary.images[part] = summary.images.get(part, 0) + 1
            counts = summary.instances.setdefault(part, [0] * len(target_names))
            for class_id in ids.tolist():
                counts[class_id] += 1
    present = {s: f"{s}/images" for s in SPLIT_NAMES if summary.images.get(s)}
    summary.images = {s: summary.images[s] for s in present}
    summary.instances = {s: summary.instances[s] for s in present}
    write_data_yaml(summary.data_yaml, target_names, present, extra=yaml_extra)
    logger.info("merged %d images into %s: %s", sum(summary.images.values()), out, summary.images)
    logger.debug("%s", summary.format())
    return summary


def _place(entries: list[list], source: SourceSpec, split: Sequence[float], seed: int) -> list[list]:
    """Cap ``entries`` ([split, image, ids, boxes, dropped]) to the source's ``max_images`` and set each one's split."""
    groups = image_groups([e[1].name for e in entries], source.group_pattern, source.name, frame_gap=source.frame_gap)
    if source.keep_splits and source.group_pattern is not None:
        sides: dict[str, set[str]] = {}
        for group, entry in zip(groups, entries, strict=True):
            sides.setdefault(group, set()).add(entry[0])
        crossing = sorted(g for g, s in sides.items() if len(s) > 1)
        if crossing:
            logger.warning("%s: its own split puts groups %s on several sides", source.name, crossing[:5])
    if source.max_images is not None:
        strata = [e[0] for e in entries] if source.keep_splits else None
        keep = subsample_groups(groups, source.max_images, seed, strata=strata)
        entries, groups = [entries[i] for i in keep], [groups[i] for i in keep]
    if not source.keep_splits:
        parts = grouped_split([(i, set(e[2].tolist())) for i, e in enumerate(entries)], groups, split, seed)
        for part, indices in parts.items():
            for i in indices:
                entries[i][0] = part
    return entries


def helmet_sources(helmets_dir: Path | str) -> list[SourceSpec]:
    """The project's helmet sources under ``helmets_dir`` (``../shared/data/helmets``).

    roboflow_v3 keeps its train/valid/test with ``nohelmet`` -> ``no_helmet``; shwd_dev keeps
    ``helmet`` and ``no_helmet``, drops ``no_wear`` and ``wear``, and is split 65/15/20
    (with the seed given to the merge).
    """
    root = Path(helmets_dir)
    return [
        SourceSpec("roboflow_v3", root / "roboflow_v3" / "data.yaml", {"nohelmet": "no_helmet"}, keep_splits=True),
        SourceSpec("shwd_dev", root / "shwd_dev" / "data.yaml", {"no_wear": None, "wear": None}, keep_splits=False),
    ]


__all__ = [
    "HELMET_NAMES",
    "ClassMap",
    "MergeSummary",
    "SourceSpec",
    "helmet_sources",
    "merge_sources",
]
