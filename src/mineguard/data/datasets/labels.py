"""YOLO label files: where they live and how to read them without dying on one bad line.

A YOLO label file has one object per line, ``class cx cy w h`` with coordinates normalised to
[0, 1] by the image width and height, or a polygon ``class x1 y1 x2 y2 x3 y3 ...`` (segmentation
exports such as Roboflow's), which is read as its bounding box. Bad lines are skipped and
reported as :class:`LabelIssue`; they never abort reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Normalised coordinates may exceed [0, 1] by this much (rounding in exporters); they are clipped.
COORD_TOLERANCE = 1e-3
# Boxes thinner than this (normalised) are reported as zero-size.
MIN_BOX_SIZE = 1e-6

MISSING_LABEL_MESSAGE = "missing label file — create an empty .txt for an image with no objects"


@dataclass(frozen=True)
class LabelIssue:
    """One problem found in a label file (or with an image).

    Attributes:
        path: the label (or image) file.
        line: 1-based line number, or None when the problem concerns the whole file.
        message: what is wrong and how to fix it.
    """

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"


def label_path_for(image_path: Path) -> Path:
    """Label file of an image: the last ``images`` folder becomes ``labels``, suffix ``.txt``.

    ``ds/train/images/a.jpg`` -> ``ds/train/labels/a.txt``. An image with no ``images`` folder in
    its path has its label beside it (``ds/a.jpg`` -> ``ds/a.txt``). Symlinks are not resolved,
    so a linked image finds the label beside the link.
    """
    parts = list(image_path.parent.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return Path(*parts, image_path.stem + ".txt") if parts else Path(image_path.stem + ".txt")


def _parse_line(fields: list[str], num_classes: int) -> tuple[int, list[float]] | str:
    """Parse one split label line into (class_id, normalised xyxy), or return an error message."""
    n = len(fields)
    if n != 5 and (n < 7 or n % 2 == 0):
        return (
            f"expected 5 values 'class cx cy w h' or a polygon 'class x1 y1 x2 y2 x3 y3 ...', got {n} "
            "— fix or delete the line"
        )
    try:
        values = [float(v) for v in fields]
    except ValueError:
        return f"non-numeric value in {' '.join(fields)!r} — every field must be a number"
    if not all(math.isfinite(v) for v in values):
        return f"non-finite value (nan/inf) in {' '.join(fields)!r} — fix or delete the line"
    cls_value = values[0]
    if cls_value != int(cls_value) or not 0 <= cls_value < num_classes:
        return (
            f"class id {fields[0]} out of range — data.yaml has {num_classes} classes "
            f"(ids 0..{num_classes - 1}); fix the id or add the class to 'names'"
        )
    if n == 5:
        cx, cy, w, h = values[1:]
        if w < 0 or h < 0:
            return f"negative box size w={w:g} h={h:g} — width and height must be > 0"
        box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
    else:
        xs, ys = values[1::2], values[2::2]
        box = [min(xs), min(ys), max(xs), max(ys)]
    lo, hi = -COORD_TOLERANCE, 1 + COORD_TOLERANCE
    if any(c < lo or c > hi for c in box):
        return (
            "box outside the image (normalised x1,y1,x2,y2 = "
            f"{', '.join(f'{c:.4g}' for c in box)}) — coordinates must lie in [0, 1]; "
            "were pixels written instead of fractions?"
        )
    box = [min(max(c, 0.0), 1.0) for c in box]
    if box[2] - box[0] < MIN_BOX_SIZE or box[3] - box[1] < MIN_BOX_SIZE:
        return "zero-size box — delete the line or redraw the box"
    return int(cls_value), box


def read_yolo_labels(
    label_path: Path, image_wh: tuple[int, int], num_classes: int
) -> tuple[np.ndarray, np.ndarray, list[LabelIssue]]:
    """Read a YOLO label file.

    Args:
        label_path: the ``.txt`` file; a missing file is reported as an issue and read as
            "no objects" (the image stays usable as background).
        image_wh: (width, height) of the image in pixels; pass (1, 1) for normalised output.
        num_classes: number of classes in data.yaml; ids outside [0, num_classes) are reported.

    Returns:
        boxes: (N, 4) float32 xyxy in pixels, clipped to the image.
        class_ids: (N,) int64.
        issues: one :class:`LabelIssue` per skipped line (1-based line numbers).
    """
    label_path = Path(label_path)
    issues: list[LabelIssue] = []
    try:
        text = label_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
        issues.append(LabelIssue(label_path, None, MISSING_LABEL_MESSAGE))
    except (OSError, UnicodeDecodeError) as exc:
        text = ""
        issues.append(LabelIssue(label_path, None, f"unreadable label file ({exc}) — rewrite it as UTF-8 text"))
    boxes: list[list[float]] = []
    class_ids: list[int] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        parsed = _parse_line(fields, num_classes)
        if isinstance(parsed, str):
            issues.append(LabelIssue(label_path, line_no, parsed))
            continue
        class_ids.append(parsed[0])
        boxes.append(parsed[1])
    width, height = image_wh
    xyxy = np.asarray(boxes, dtype=np.float32).reshape(-1, 4) * np.float32([width, height, width, height])
    return xyxy.astype(np.float32), np.asarray(class_ids, dtype=np.int64), issues


def format_yolo_line(class_id: int, box_xyxy_norm: np.ndarray | list[float]) -> str:
    """One label line ``class cx cy w h`` from a normalised xyxy box (6 decimals)."""
    x1, y1, x2, y2 = (float(v) for v in box_xyxy_norm)
    return f"{int(class_id)} {(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} {x2 - x1:.6f} {y2 - y1:.6f}"


def write_yolo_labels(label_path: Path, class_ids: np.ndarray, boxes_xyxy_norm: np.ndarray) -> None:
    """Write a label file (an empty file for an image with no objects); creates the folder.

    Args:
        class_ids: (N,) int class ids.
        boxes_xyxy_norm: (N, 4) xyxy normalised to [0, 1].
    """
    label_path.parent.mkdir(parents=True, exist_ok=True)
    boxes = np.asarray(boxes_xyxy_norm).reshape(-1, 4)
    lines = [format_yolo_line(c, b) for c, b in zip(class_ids, boxes, strict=True)]
    label_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
