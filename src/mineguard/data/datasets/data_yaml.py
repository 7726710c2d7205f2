"""``data.yaml``: the YOLO data-set description (class names and where each split's images are).

Supported forms of a split value (``train``, ``val`` — also spelt ``valid`` — and ``test``):
a folder of images (searched recursively), a ``.txt`` file listing image paths (relative lines
are read from the list's folder), a single image, or a list of any of these. Relative paths are
read from ``path:`` when given, else from the yaml's own folder; Roboflow exports write
``train: ../train/images`` while meaning ``train/images`` beside the yaml, so a leading ``../``
is dropped when the path as written does not exist. A yaml with no split keys describes a flat
set (``images/`` + ``labels/`` beside it), exposed as the single split ``"all"``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mineguard.data.datasets.images import IMAGE_SUFFIXES, is_image_file
from mineguard.data.errors import DatasetError

logger = logging.getLogger(__name__)

SPLIT_KEYS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
FLAT_SPLIT = "all"


@dataclass(frozen=True)
class DatasetSpec:
    """A YOLO data set as described by its data.yaml.

    Attributes:
        names: class names; the class id is the index.
        splits: split name (``train``/``val``/``test``, or ``all`` for a flat set) -> image
            paths, absolute, symlinks not resolved (labels are found beside the link).
        root: folder that relative paths were read from.
        yaml_path: the data.yaml this came from, if any.
    """

    names: tuple[str, ...]
    splits: dict[str, list[Path]]
    root: Path
    yaml_path: Path | None = field(default=None)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def images(self, split: str) -> list[Path]:
        """Image paths of one split; a clear DatasetError names the splits there are."""
        if split not in self.splits:
            source = self.yaml_path or self.root
            raise DatasetError(
                f"{source}: no '{split}' split — the data set has {sorted(self.splits)}; add '{split}:' "
                "to data.yaml or make one with 'mineguard data split'"
            )
        return self.splits[split]

    def all_images(self) -> list[Path]:
        """Every image of every split, each once, in split order."""
        seen: dict[Path, None] = {}
        for paths in self.splits.values():
            seen.update(dict.fromkeys(paths))
        return list(seen)


def _absolute(path: Path) -> Path:
    """Absolute path with ``..`` collapsed, symlinks kept (labels are looked up beside links)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _parse_names(raw: dict[str, Any], yaml_path: Path) -> tuple[str, ...]:
    if raw.get("names") is None:
        raise DatasetError(f"{yaml_path}: 'names' missing — list the class names, e.g. names: ['helmet', 'no_helmet']")
    names = raw["names"]
    if isinstance(names, dict):
        try:
            by_id = {int(k): v for k, v in names.items()}
        except (TypeError, ValueError) as exc:
            raise DatasetError(
                f"{yaml_path}: 'names' keys must be class ids 0, 1, ... (got {list(names)}) — "
                "write names as {0: helmet, 1: no_helmet} or as a list"
            ) from exc
        if sorted(by_id) != list(range(len(by_id))):
            raise DatasetError(
                f"{yaml_path}: 'names' ids must run 0..{len(by_id) - 1} without gaps, got {sorted(by_id)} "
                "— renumber the classes"
            )
        names = [by_id[i] for i in range(len(by_id))]
    if not isinstance(names, list | tuple) or not names:
        raise DatasetError(f"{yaml_path}: 'names' must be a non-empty list of class names, got {names!r}")
    if any(n is None or isinstance(n, dict | list) for n in names):
        raise DatasetError(f"{yaml_path}: 'names' holds a non-text entry {names!r} — give one name per class")
    names = tuple(str(n) for n in names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DatasetError(f"{yaml_path}: 'names' repeats {duplicates} — each class needs its own name")
    nc = raw.get("nc")
    if nc is not None and (not isinstance(nc, int) or nc != len(names)):
        raise DatasetError(
            f"{yaml_path}: 'nc' is {nc!r} but 'names' lists {len(names)} classes — make them agree (or delete 'nc')"
        )
    return names


def _resolve_root(raw: dict[str, Any], yaml_path: Path) -> Path:
    yaml_dir = _absolute(yaml_path.parent)
    if raw.get("path") is None:
        return yaml_dir
    root = Path(str(raw["path"])).expanduser()
    root = _absolute(root if root.is_absolute() else yaml_dir / root)
    if not root.is_dir():
        raise DatasetError(
            f"{yaml_path}: 'path' {raw['path']!r} is not a folder (looked for {root}) — fix 'path' or delete "
            "it to read paths from the yaml's folder"
        )
    return root


def _images_in_dir(folder: Path, key: str, yaml_path: Path) -> list[Path]:
    images = sorted(p for p in folder.rglob("*") if is_image_file(p) and p.is_file())
    if not images:
        raise DatasetError(
            f"{yaml_path}: '{key}' folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}) "
            f"— point '{key}' at the folder with the images"
        )
    return images


def _images_in_list(list_file: Path, key: str, yaml_path: Path) -> list[Path]:
    images: list[Path] = []
    missing: list[tuple[int, str]] = []
    for line_no, line in enumerate(list_file.read_text(encoding="utf-8").splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = Path(entry).expanduser()
        path = _absolute(path if path.is_absolute() else list_file.parent / path)
        if path.is_file():
            images.append(path)
        else:
            missing.append((line_no, entry))
    if missing:
        line_no, entry = missing[0]
        raise DatasetError(
            f"{list_file}: line {line_no}: image {entry!r} not found ({len(missing)} missing in all) — "
            f"regenerate the list for '{key}' (e.g. with 'mineguard data split') or fix the paths"
        )
    if not images:
        raise DatasetError(f"{list_file}: image list for '{key}' in {yaml_path} is empty — list image paths")
    return images


def _resolve_entry(value: str, key: str, root: Path, yaml_path: Path) -> list[Path]:
    written = Path(value).expanduser()
    candidates = [written] if written.is_absolute() else [root / written]
    if not written.is_absolute() and value.startswith("../"):
        candidates.append(root / value[len("../") :])  # the Roboflow export quirk
    for candidate in map(_absolute, candidates):
        if candidate.is_dir():
            return _images_in_dir(candidate, key, yaml_path)
        if candidate.is_file() and candidate.suffix.lower() == ".txt":
            return _images_in_list(candidate, key, yaml_path)
        if candidate.is_file() and is_image_file(candidate):
            return [candidate]
    tried = ", ".join(str(_absolute(c)) for c in candidates)
    raise DatasetError(
        f"{yaml_path}: '{key}' path {value!r} not found (tried {tried}) — fix '{key}' in data.yaml; "
        "relative paths are read from the yaml's folder (or from 'path:')"
    )


def load_data_yaml(path: Path | str) -> DatasetSpec:
    """Read a data.yaml into a :class:`DatasetSpec`, checking names, ``nc`` and every split path.

    Raises:
        DatasetError: naming the file, the key and the fix for any problem found.
    """
    yaml_path = Path(path)
    if not yaml_path.is_file():
        raise DatasetError(
            f"{yaml_path}: data.yaml not found — give the path to a YOLO data.yaml "
            "(it lists 'names' and the split folders)"
        )
    try:
        raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{yaml_path}: not valid YAML ({exc}) — fix the syntax") from exc
    if not isinstance(raw, dict):
        raise DatasetError(f"{yaml_path}: expected a mapping with 'names' and split keys, got {type(raw).__name__}")
    return spec_from_mapping(raw, yaml_path)


def spec_from_mapping(raw: dict[str, Any], yaml_path: Path, *, root: Path | None = None) -> DatasetSpec:
    """A :class:`DatasetSpec` from a data.yaml already read into a mapping (same keys and rules).

    Args:
        raw: the data.yaml's content (``names``, split keys, optional ``path``).
        yaml_path: the file it came from, named in every error (it need not exist on disk).
        root: folder relative split paths are read from, when the mapping belongs to another file
            (e.g. a source entry in a hazard taxonomy); default ``path:`` or the yaml's folder.
    """
    names = _parse_names(raw, yaml_path)
    root = _absolute(root) if root is not None else _resolve_root(raw, yaml_path)
    splits: dict[str, list[Path]] = {}
    for key, value in raw.items():
        if key not in SPLIT_KEYS or value is None:
            continue
        split = SPLIT_KEYS[key]
        if split in splits:
            raise DatasetError(f"{yaml_path}: split '{split}' given twice (as '{key}' too) — keep one key")
        entries = value if isinstance(value, list) else [value]
        if not entries or not all(isinstance(e, str) for e in entries):
            raise DatasetError(f"{yaml_path}: '{key}' must be a path or a list of paths, got {value!r}")
        splits[split] = [img for entry in entries for img in _resolve_entry(entry, key, root, yaml_path)]
    if not splits:
        flat = root / "images"
        if not flat.is_dir():
            raise DatasetError(
                f"{yaml_path}: no 'train'/'val'/'test' keys and no images/ folder in {root} — add e.g. "
                "'train: train/images' and 'val: valid/images'"
            )
        splits[FLAT_SPLIT] = _images_in_dir(flat, "images/", yaml_path)
        logger.info("%s: no split keys; using the flat folder %s as split '%s'", yaml_path, flat, FLAT_SPLIT)
    return DatasetSpec(names=names, splits=splits, root=root, yaml_path=_absolute(yaml_path))


def write_data_yaml(
    path: Path,
    names: list[str] | tuple[str, ...],
    splits: dict[str, Any] | None = None,
    *,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a data.yaml with ``names``, ``nc``, the given split entries (paths as strings) and
    ``extra`` keys after them (e.g. a taxonomy's ``groups:``; loaders ignore keys they do not know).

    Returns:
        ``path``, for chaining.
    """
    content: dict[str, Any] = {}
    for split, value in (splits or {}).items():
        content[split] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    content["nc"] = len(names)
    content["names"] = list(names)
    content.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
