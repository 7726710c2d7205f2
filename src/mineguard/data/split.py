"""Stratified train/val/test splits and k-fold cross-validation folds for detection sets.

An image is stratified by its *rarest* class (the class present in the fewest images), so rare
classes are spread over every split; images with no boxes form their own stratum. Within a
stratum the images are shuffled with ``numpy.random.default_rng(seed)`` and dealt out in
proportion to the fractions; the leftovers of each stratum go to the split furthest below its
overall target, so the split sizes match the fractions to within one image. A stratum with at
least as many images as there are splits puts at least one image in every split.

:func:`write_split` and :func:`write_kfold` apply this to an existing YOLO folder without
copying anything: they write image-list ``.txt`` files and a data.yaml that points at them.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from mineguard.data.datasets.data_yaml import DatasetSpec, load_data_yaml, write_data_yaml
from mineguard.data.datasets.images import is_image_file
from mineguard.data.datasets.labels import label_path_for, read_yolo_labels
from mineguard.data.errors import DatasetError

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
SPLIT_NAMES = ("train", "val", "test")
BACKGROUND_STRATUM = -1


def _strata(class_sets: Sequence[Iterable[int]]) -> list[list[int]]:
    """Item indices grouped by rarest class; rarest stratum first, background last."""
    sets = [set(s) for s in class_sets]
    frequency = Counter(c for s in sets for c in s)
    groups: dict[tuple[int, int], list[int]] = {}
    for index, classes in enumerate(sets):
        if classes:
            rarest = min(classes, key=lambda c: (frequency[c], c))
            key = (frequency[rarest], rarest)
        else:
            key = (len(sets) + 1, BACKGROUND_STRATUM)
        groups.setdefault(key, []).append(index)
    return [groups[key] for key in sorted(groups)]


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    fr = np.asarray(fractions, dtype=np.float64)
    if fr.ndim != 1 or not 2 <= len(fr) <= 3:
        raise DatasetError(f"split fractions {list(fractions)}: give 2 (train val) or 3 (train val test) numbers")
    if (fr < 0).any() or fr[0] <= 0 or abs(fr.sum() - 1.0) > 1e-6:
        raise DatasetError(
            f"split fractions {list(fractions)} must be >= 0 with train > 0 and sum to 1 (they sum to "
            f"{fr.sum():g}) — e.g. 0.65 0.15 0.2"
        )
    return fr


def stratified_split(
    items: Sequence[tuple[K, Iterable[int]]], fractions: Sequence[float] = (0.65, 0.15, 0.2), seed: int = 0
) -> dict[str, list[K]]:
    """Split items into train/val(/test), stratified by each item's rarest class.

    Args:
        items: (key, class ids present in the image) per image; keys are returned as given.
        fractions: 2 or 3 fractions summing to 1 (a 0 leaves that split empty).
        seed: the same seed and items give the same split.

    Returns:
        {"train": [...], "val": [...], "test": [...]} (no "test" for 2 fractions); keys keep
        their input order within each split. Every split with a non-zero fraction gets at least
        one item when there are at least as many items as such splits.
    """
    fr = _check_fractions(fractions)
    active = fr > 0
    rng = np.random.default_rng(seed)
    split_of = np.zeros(len(items), dtype=np.int64)
    assigned = np.zeros(len(fr), dtype=np.int64)
    seen = 0
    for group in _strata([classes for _, classes in items]):
        n = len(group)
        seen += n
        counts = np.floor(fr * n).astype(np.int64)
        if n >= active.sum():
            counts[active & (counts == 0)] = 1
        while counts.sum() > n:
            counts[np.argmax(counts)] -= 1
        for _ in range(n - int(counts.sum())):
            deficit = np.where(active, fr * seen - (assigned + counts), -np.inf)
            counts[np.argmax(deficit)] += 1
        order = rng.permutation(group)
        split_of[order] = np.repeat(np.arange(len(fr)), counts)
        assigned += counts
    if len(items) >= active.sum():
        for split in np.flatnonzero(active & (assigned == 0)):
            donor = int(np.argmax(assigned))
            moved = rng.choice(np.flatnonzero(split_of == donor))
            split_of[moved] = split
            assigned[donor] -= 1
            assigned[split] += 1
    return {name: [items[i][0] for i in np.flatnonzero(split_of == s)] for s, name in enumerate(SPLIT_NAMES[: len(fr)])}


def image_groups(
    file_names: Sequence[str], pattern: str | None, source: str = "source", *, frame_gap: int = 5
) -> list[str]:
    """The group of each image, from a regular expression searched in its file name.

    Images of one group (frames of one video, tiles of one photo, augmented copies of one image)
    must stay on one side of a split. Without a named group ``frame``, the key is the first
    capture group (or the whole match). With ``(?P<frame>\\d+)``, the key is the match with the
    frame number taken out, and images of one key are cut into runs wherever consecutive frame
    numbers are more than ``frame_gap`` apart: each run is a group. A name the pattern does not
    match is its own group; ``pattern=None`` makes every image its own group.

    Raises:
        DatasetError: naming ``source`` when the pattern is not a valid regular expression.
    """
    if pattern is None:
        return list(file_names)
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise DatasetError(f"{source}: group_pattern {pattern!r} is not a regular expression ({exc}) — fix it") from exc
    keys: list[str] = []
    frames: dict[str, list[tuple[int, int]]] = {}  # sequence key -> (frame, image index)
    for index, name in enumerate(file_names):
        match = regex.search(name)
        if match is None:
            keys.append(name)
        elif "frame" in regex.groupindex and match.group("frame") is not None:
            begin, end = match.span("frame")
            key = name[match.start() : begin] + "#" + name[end : match.end()]
            frames.setdefault(key, []).append((int(match.group("frame")), index))
            keys.append(key)
        else:
            keys.append(match.group(1) if regex.groups else match.group(0))
    for key, members in frames.items():
        run, previous = 0, None
        for frame, index in sorted(members):
            if previous is not None and frame - previous > frame_gap:
                run += 1
            keys[index], previous = f"{key}@{run}", frame
    return keys


def grouped_split(
    items: Sequence[tuple[K, Iterable[int]]],
    groups: Sequence[Hashable],
    fractions: Sequence[float] = (0.65, 0.15, 0.2),
    seed: int = 0,
) -> dict[str, list[K]]:
    """Stratified split over whole groups: the items of one group land in one split.

    Groups are stratified like :func:`stratified_split` (by the rarest class among their items);
    within a stratum they are shuffled with ``seed``, largest first, and each goes to the split
    furthest below its share of the stratum's *items*, so split sizes in images follow the
    fractions as closely as the group sizes allow. Keys keep their input order within a split.
    """
    fr = _check_fractions(fractions)
    if len(groups) != len(items):
        raise DatasetError(f"grouped split: {len(items)} items but {len(groups)} group keys")
    members: dict[Hashable, list[int]] = {}
    classes: dict[Hashable, set[int]] = {}
    for index, ((_, item_classes), group) in enumerate(zip(items, groups, strict=True)):
        members.setdefault(group, []).append(index)
        classes.setdefault(group, set()).update(item_classes)
    keys = list(members)
    rng = np.random.default_rng(seed)
    split_of = np.zeros(len(items), dtype=np.int64)
    assigned = np.zeros(len(fr))
    active = fr > 0
    for stratum in _strata([classes[k] for k in keys]):
        order = [keys[i] for i in rng.permutation(stratum)]
        order.sort(key=lambda k: -len(members[k]))  # stable: ties keep the shuffled order
        target = assigned + fr * sum(len(members[k]) for k in order)
        for key in order:
            part = int(np.argmax(np.where(active, target - assigned, -np.inf)))
            split_of[members[key]] = part
            assigned[part] += len(members[key])
    return {name: [items[i][0] for i in np.flatnonzero(split_of == s)] for s, name in enumerate(SPLIT_NAMES[: len(fr)])}


def subsample_groups(
    groups: Sequence[Hashable], max_items: int, seed: int = 0, *, strata: Sequence[Hashable] | None = None
) -> list[int]:
    """Indices of at most ``max_items`` items, drawn as whole groups with ``seed``.

    With ``strata`` (e.g. each item's own split) the cap is shared out in proportion to the
    strata's sizes, so a kept split keeps its proportions. Returns the kept indices, ascending.
    """
    if max_items < 0:
        raise DatasetError(f"max_images must be >= 0, got {max_items}")
    if len(groups) <= max_items:
        return list(range(len(groups)))
    strata = list(strata) if strata is not None else [None] * len(groups)
    rng = np.random.default_rng(seed)
    kept: list[int] = []
    for stratum in dict.fromkeys(strata):
        indices = [i for i, s in enumerate(strata) if s == stratum]
        quota = round(max_items * len(indices) / len(groups))
        members: dict[Hashable, list[int]] = {}
        for i in indices:
            members.setdefault(groups[i], []).append(i)
        order, taken = list(members), 0
        for position in rng.permutation(len(order)):  # greedy: a group that no longer fits is passed over
            group = members[order[position]]
            if taken + len(group) <= quota:
                kept.extend(group)
                taken += len(group)
    return sorted(kept)


def kfold_splits(items: Sequence[tuple[K, Iterable[int]]], k: int = 5, seed: int = 0) -> list[tuple[list[K], list[K]]]:
    """K stratified folds: ``[(train_keys, val_keys), ...]``; the val parts are disjoint and cover all.

    Each stratum is shuffled and dealt round-robin over the folds, continuing from where the
    previous stratum stopped, so fold sizes differ by at most one.
    """
    if k < 2:
        raise DatasetError(f"k-fold needs k >= 2 folds, got {k}")
    if len(items) < k:
        raise DatasetError(f"k-fold with k={k} needs at least {k} images, got {len(items)} — lower k")
    rng = np.random.default_rng(seed)
    fold_of = np.zeros(len(items), dtype=np.int64)
    offset = 0
    for group in _strata([classes for _, classes in items]):
        order = rng.permutation(group)
        fold_of[order] = (offset + np.arange(len(order))) % k
        offset += len(order)
    keys = [key for key, _ in items]
    return [
        ([keys[i] for i in np.flatnonzero(fold_of != f)], [keys[i] for i in np.flatnonzero(fold_of == f)])
        for f in range(k)
    ]


def _images_and_names(
    source: DatasetSpec | Path | str, names: Sequence[str] | None
) -> tuple[tuple[str, ...], list[Path]]:
    """(class names, image paths) of a DatasetSpec, a data.yaml or an images folder."""
    if isinstance(source, DatasetSpec):
        return source.names, source.all_images()
    path = Path(source)
    if path.is_file():
        spec = load_data_yaml(path)
        if len(spec.splits) > 1:
            logger.info("%s: pooling splits %s before re-splitting", path, sorted(spec.splits))
        return (tuple(names) if names else spec.names), spec.all_images()
    if not path.is_dir():
        raise DatasetError(f"{path}: not found — give an images folder or a data.yaml")
    images = sorted(p.absolute() for p in path.rglob("*") if is_image_file(p) and p.is_file())
    if not images:
        raise DatasetError(f"{path}: no images found — give the folder that holds the images")
    if names:
        return tuple(names), images
    for candidate in (path.parent / "data.yaml", path / "data.yaml"):
        if candidate.is_file():
            return load_data_yaml(candidate).names, images
    raise DatasetError(
        f"{path}: class names unknown — pass names (CLI: --names helmet no_helmet) or put a data.yaml "
        "with 'names' beside the images folder"
    )


def _class_sets(images: list[Path], num_classes: int) -> list[tuple[Path, set[int]]]:
    items, n_issues = [], 0
    for image in images:
        _, class_ids, issues = read_yolo_labels(label_path_for(image), (1, 1), num_classes)
        n_issues += len(issues)
        items.append((image, set(class_ids.tolist())))
    if n_issues:
        logger.warning("%d label issues while splitting — run 'mineguard data validate' to see them", n_issues)
    return items


def _write_list(path: Path, images: list[Path]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{image.absolute()}\n" for image in images), encoding="utf-8")
    return path.name


def write_split(
    source: DatasetSpec | Path | str,
    out_dir: Path | str,
    fractions: Sequence[float] = (0.65, 0.15, 0.2),
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> Path:
    """Split an existing YOLO set in place: write ``{train,val,test}.txt`` lists and a data.yaml.

    Args:
        source: DatasetSpec, data.yaml (all its splits are pooled) or images folder (class names
            from ``names`` or a data.yaml beside it).
        out_dir: where the lists and data.yaml go; images and labels are not copied.

    Returns:
        Path of the new data.yaml.
    """
    class_names, images = _images_and_names(source, names)
    parts = stratified_split(_class_sets(images, len(class_names)), fractions, seed)
    out = Path(out_dir)
    entries = {split: _write_list(out / f"{split}.txt", keys) for split, keys in parts.items() if keys}
    logger.info("split %d images: %s", len(images), {s: len(k) for s, k in parts.items()})
    return write_data_yaml(out / "data.yaml", class_names, entries)


def write_kfold(
    source: DatasetSpec | Path | str,
    out_dir: Path | str,
    k: int = 5,
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> list[Path]:
    """Write k cross-validation sets ``out_dir/fold_{i}/{train.txt,val.txt,data.yaml}``.

    Returns:
        The k data.yaml paths, fold 0 first.
    """
    class_names, images = _images_and_names(source, names)
    folds = kfold_splits(_class_sets(images, len(class_names)), k, seed)
    paths = []
    for i, (train, val) in enumerate(folds):
        fold_dir = Path(out_dir) / f"fold_{i}"
        entries = {
            "train": _write_list(fold_dir / "train.txt", train),
            "val": _write_list(fold_dir / "val.txt", val),
        }
        paths.append(write_data_yaml(fold_dir / "data.yaml", class_names, entries))
    return paths
