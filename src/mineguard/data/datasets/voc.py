"""Import Pascal VOC annotations (one ``.xml`` per image) as a flat YOLO folder.

Output: ``out_dir/images`` (symlinks to the originals, or copies with ``copy=True``),
``out_dir/labels`` (one ``.txt`` per image) and ``out_dir/data.yaml`` without splits; make
splits with ``mineguard data split``. VOC ``<bndbox>`` corners are taken as pixel edges, as
LabelImg and CVAT write them.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mineguard.data.datasets.data_yaml import write_data_yaml
from mineguard.data.datasets.images import IMAGE_SUFFIXES, link_or_copy, probe_image
from mineguard.data.datasets.labels import write_yolo_labels
from mineguard.data.errors import DatasetError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _VocImage:
    xml_path: Path
    image_path: Path
    width: int
    height: int
    objects: list[tuple[str, list[float]]]  # (class name, [x1, y1, x2, y2] pixels)


def _find_image(root: ET.Element, xml_path: Path, images_dir: Path) -> Path:
    filename = (root.findtext("filename") or "").strip()
    candidates = [images_dir / filename] if filename else []
    candidates += [images_dir / f"{xml_path.stem}{suffix}" for suffix in sorted(IMAGE_SUFFIXES)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DatasetError(
        f"{xml_path}: <filename> {filename!r} not found in {images_dir} (nor {xml_path.stem}.jpg/.png/...) "
        "— give the folder that holds the images (JPEGImages/)"
    )


def _number(element: ET.Element, tag: str, xml_path: Path, where: str) -> float:
    text = element.findtext(tag)
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{xml_path}: {where}<{tag}> is {text!r} — expected a number") from exc


def _parse_voc(xml_path: Path, images_dir: Path) -> _VocImage:
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as exc:
        raise DatasetError(f"{xml_path}: not valid XML ({exc}) — fix or remove the file") from exc
    image_path = _find_image(root, xml_path, images_dir)
    size = root.find("size")
    width = height = 0
    if size is not None and size.findtext("width") and size.findtext("height"):
        width = int(_number(size, "width", xml_path, "<size>"))
        height = int(_number(size, "height", xml_path, "<size>"))
    if width <= 0 or height <= 0:  # some exporters write 0; read the image instead
        try:
            width, height = probe_image(image_path)
        except OSError as exc:
            raise DatasetError(f"{xml_path}: image {image_path} unreadable ({exc}) — replace it") from exc
    objects = []
    for k, obj in enumerate(root.findall("object"), start=1):
        name = (obj.findtext("name") or "").strip()
        if not name:
            raise DatasetError(f"{xml_path}: <object> #{k} has no <name> — add the class name")
        box_element = obj.find("bndbox")
        if box_element is None:
            raise DatasetError(f"{xml_path}: <object> #{k} ({name}) has no <bndbox> — add the box or delete it")
        where = f"<object> #{k} <bndbox>"
        box = [_number(box_element, tag, xml_path, where) for tag in ("xmin", "ymin", "xmax", "ymax")]
        objects.append((name, box))
    return _VocImage(xml_path, image_path, width, height, objects)


def import_voc(
    xml_dir: Path | str,
    images_dir: Path | str,
    out_dir: Path | str,
    names: list[str] | None = None,
    *,
    copy: bool = False,
) -> Path:
    """Convert a folder of VOC ``.xml`` files to a YOLO folder.

    Args:
        xml_dir: folder with the ``.xml`` annotations (VOC ``Annotations/``).
        images_dir: folder with the images (VOC ``JPEGImages/``).
        out_dir: new YOLO folder.
        names: class names in id order; default: every name found, sorted. An object whose
            name is not listed is an error (map classes later with ``mineguard.data.remap.merge_sources``).
        copy: copy the images instead of symlinking them.

    Returns:
        Path of the written data.yaml.
    """
    xml_dir, images_dir, out = Path(xml_dir), Path(images_dir), Path(out_dir)
    if not xml_dir.is_dir():
        raise DatasetError(f"{xml_dir}: annotation folder not found — give the folder of VOC .xml files")
    xml_files = sorted(xml_dir.glob("*.xml"))
    if not xml_files:
        raise DatasetError(f"{xml_dir}: no .xml files — give the folder of VOC annotations (Annotations/)")
    parsed = [_parse_voc(x, images_dir) for x in xml_files]
    class_names = list(names) if names else sorted({name for item in parsed for name, _ in item.objects})
    if not class_names:
        raise DatasetError(f"{xml_dir}: no <object> in any .xml file — nothing to import")
    index = {name: i for i, name in enumerate(class_names)}
    n_boxes = n_degenerate = 0
    for item in parsed:
        ids, boxes = [], []
        for name, (x1, y1, x2, y2) in item.objects:
            if name not in index:
                raise DatasetError(
                    f"{item.xml_path}: <object><name> {name!r} is not in names {class_names} — add it to "
                    "names, or leave names out to import every class"
                )
            x1, x2 = np.clip([x1, x2], 0, item.width)
            y1, y2 = np.clip([y1, y2], 0, item.height)
            if x2 <= x1 or y2 <= y1:
                n_degenerate += 1
                logger.warning("%s: zero-size or outside <bndbox> of %r skipped", item.xml_path, name)
                continue
            ids.append(index[name])
            boxes.append([x1 / item.width, y1 / item.height, x2 / item.width, y2 / item.height])
        link_or_copy(item.image_path, out / "images" / item.image_path.name, copy=copy)
        write_yolo_labels(out / "labels" / f"{item.image_path.stem}.txt", np.int64(ids), np.float32(boxes))
        n_boxes += len(ids)
    logger.info(
        "imported %d VOC images, %d boxes (%d degenerate skipped) into %s", len(parsed), n_boxes, n_degenerate, out
    )
    return write_data_yaml(out / "data.yaml", class_names)
