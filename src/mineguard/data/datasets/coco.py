"""Import a COCO detection JSON as a flat YOLO folder.

Boxes ``[x, y, w, h]`` in pixels become normalised ``cx cy w h``; category ids are renumbered
0, 1, ... in the order of the ``categories`` list; crowd annotations (``iscrowd: 1``) are skipped
and counted. Output: ``out_dir/images`` (symlinks, or copies), ``out_dir/labels`` and a
``data.yaml`` without splits; make splits with ``mineguard data split``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from mineguard.data.datasets.data_yaml import write_data_yaml
from mineguard.data.datasets.images import link_or_copy, probe_image
from mineguard.data.datasets.labels import write_yolo_labels
from mineguard.data.errors import DatasetError

logger = logging.getLogger(__name__)


def _load(json_path: Path) -> dict[str, Any]:
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{json_path}: file not found — give the COCO annotation .json") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{json_path}: not valid JSON ({exc}) — fix or re-export the file") from exc
    if not isinstance(data, dict):
        raise DatasetError(f"{json_path}: expected a JSON object with 'images', 'annotations', 'categories'")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise DatasetError(
                f"{json_path}: '{key}' missing or not a list — a COCO detection file has 'images', "
                "'annotations' and 'categories' lists"
            )
    if not data["categories"]:
        raise DatasetError(f"{json_path}: 'categories' is empty — list the classes")
    return data


def _image_path(entry: dict[str, Any], images_dir: Path) -> Path | None:
    file_name = str(entry["file_name"])
    for candidate in (images_dir / file_name, images_dir / Path(file_name).name):
        if candidate.is_file():
            return candidate
    return None


def import_coco(json_path: Path | str, images_dir: Path | str, out_dir: Path | str, *, copy: bool = False) -> Path:
    """Convert a COCO detection file to a YOLO folder.

    Args:
        json_path: COCO ``instances_*.json``.
        images_dir: folder the ``file_name`` entries are relative to.
        out_dir: new YOLO folder.
        copy: copy the images instead of symlinking them.

    Returns:
        Path of the written data.yaml.
    """
    json_path, images_dir, out = Path(json_path), Path(images_dir), Path(out_dir)
    data = _load(json_path)
    try:
        category_index = {c["id"]: i for i, c in enumerate(data["categories"])}
        names = [str(c["name"]) for c in data["categories"]]
        images = {img["id"]: img for img in data["images"]}
        images_without_name = [img["id"] for img in data["images"] if "file_name" not in img]
    except (KeyError, TypeError) as exc:
        raise DatasetError(
            f"{json_path}: a 'categories' or 'images' entry lacks {exc} — categories need 'id' and 'name', "
            "images need 'id' and 'file_name'"
        ) from exc
    if images_without_name:
        raise DatasetError(f"{json_path}: image id {images_without_name[0]!r} has no 'file_name' — add it")
    if len(category_index) != len(names):
        raise DatasetError(f"{json_path}: 'categories' repeats an id — each category needs its own id")
    per_image: dict[Any, list[tuple[int, list[float]]]] = {image_id: [] for image_id in images}
    n_crowd = n_degenerate = 0
    for ann in data["annotations"]:
        if ann.get("iscrowd", 0):
            n_crowd += 1
            continue
        where = f"annotation id {ann.get('id')!r}"
        if ann.get("image_id") not in images:
            raise DatasetError(f"{json_path}: {where} refers to image_id {ann.get('image_id')!r} not in 'images'")
        if ann.get("category_id") not in category_index:
            raise DatasetError(f"{json_path}: {where} has category_id {ann.get('category_id')!r} not in 'categories'")
        bbox = ann.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, int | float) for v in bbox):
            raise DatasetError(f"{json_path}: {where} 'bbox' is {bbox!r} — expected [x, y, width, height] pixels")
        if bbox[2] <= 0 or bbox[3] <= 0:
            n_degenerate += 1
            continue
        per_image[ann["image_id"]].append((category_index[ann["category_id"]], [float(v) for v in bbox]))
    paths = {image_id: _image_path(entry, images_dir) for image_id, entry in images.items()}
    missing = [images[i]["file_name"] for i, p in paths.items() if p is None]
    if missing:
        raise DatasetError(
            f"{json_path}: {len(missing)} images not found in {images_dir}, e.g. {missing[0]!r} — give the "
            "folder the 'file_name' entries are relative to"
        )
    for image_id, entry in images.items():
        source = Path(str(paths[image_id]))
        width, height = entry.get("width") or 0, entry.get("height") or 0
        if width <= 0 or height <= 0:
            try:
                width, height = probe_image(source)
            except OSError as exc:
                raise DatasetError(f"{json_path}: image {source} unreadable ({exc}) — replace it") from exc
        xywh = np.float32([box for _, box in per_image[image_id]]).reshape(-1, 4)
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1) / np.float32([width, height] * 2)
        xyxy = xyxy.clip(0, 1)
        name = str(entry["file_name"]).replace("/", "_").replace("\\", "_")
        link_or_copy(source, out / "images" / name, copy=copy)
        ids = np.int64([c for c, _ in per_image[image_id]])
        write_yolo_labels(out / "labels" / f"{Path(name).stem}.txt", ids, xyxy)
    n_boxes = sum(len(v) for v in per_image.values())
    logger.info(
        "imported %d COCO images, %d boxes into %s (%d crowd and %d zero-size annotations skipped)",
        len(images),
        n_boxes,
        out,
        n_crowd,
        n_degenerate,
    )
    return write_data_yaml(out / "data.yaml", names)
