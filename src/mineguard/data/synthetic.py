"""A small generated helmet data set for demos and end-to-end tests (no real data needed).

Each image is a dark mine scene — rock texture, a tunnel arch, rails and a few lamps — with 1-4
simple miners: a hi-vis orange or yellow body with a reflective strip and a skin-tone head. Each
head is labelled ``helmet`` (a bright yellow or white dome with a brim is drawn over it; the box
covers head and helmet) or ``no_helmet`` (bare head with hair; the box covers the head). Heads
are 9-17 % of the image side (14-27 px at 160 px), large enough for a small detector to learn
in a few epochs. The same seed gives the same files.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from mineguard.data.datasets.data_yaml import write_data_yaml
from mineguard.data.datasets.labels import write_yolo_labels
from mineguard.data.errors import DatasetError
from mineguard.data.remap import HELMET_NAMES

logger = logging.getLogger(__name__)

HELMET, NO_HELMET = 0, 1

# RGB colours
_HI_VIS = [(255, 110, 10), (250, 140, 20), (225, 230, 40), (200, 235, 50)]
_SKIN = [(255, 219, 172), (224, 172, 105), (198, 134, 66), (141, 85, 36)]
_HAIR = [(25, 20, 15), (60, 40, 25), (90, 70, 40)]
_HELMET = [(245, 215, 25), (250, 235, 60), (240, 240, 235), (225, 228, 232)]


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Dark rock with noise, a tunnel arch, rails and lamps with a glow."""
    base = rng.uniform(22, 45)
    ramp = np.linspace(0.7, 1.2, size, dtype=np.float32)[:, None, None]
    tint = np.float32([1.0, 0.92, 0.8])
    image = base * ramp * tint + rng.normal(0, 7, (size, size, 3)).astype(np.float32)
    image = np.clip(image, 0, 255).astype(np.uint8)
    centre = (int(size * rng.uniform(0.4, 0.6)), int(size * rng.uniform(0.55, 0.75)))
    axes = (int(size * rng.uniform(0.3, 0.45)), int(size * rng.uniform(0.35, 0.5)))
    rock = tuple(int(v) for v in rng.integers(55, 85, 3))
    cv2.ellipse(image, centre, axes, 0, 180, 360, rock, thickness=max(2, size // 40))
    rail = (95, 90, 85)
    for dx in (-0.12, 0.12):
        cv2.line(image, (centre[0] + int(dx * size * 0.4), centre[1]), (int(size * (0.5 + dx * 3)), size), rail, 1)
    lamps = np.zeros_like(image)
    for _ in range(int(rng.integers(1, 4))):
        x, y = int(rng.uniform(0.05, 0.95) * size), int(rng.uniform(0.03, 0.3) * size)
        cv2.circle(lamps, (x, y), max(4, size // 20), (120, 110, 70), -1)
        cv2.circle(image, (x, y), max(2, size // 60), (255, 250, 215), -1)
    glow = cv2.GaussianBlur(lamps, (0, 0), sigmaX=max(2.0, size / 40))
    return cv2.add(image, glow)


def _draw_miner(
    image: np.ndarray, rng: np.random.Generator, cx: int, head_top: int, head_h: int, wears_helmet: bool
) -> list[float]:
    """Draw one miner; return the labelled box [x1, y1, x2, y2] in pixels."""
    size = image.shape[0]
    head_w = round(head_h * rng.uniform(0.75, 0.85))
    head_c = (cx, head_top + head_h // 2)
    body_w = int(head_w * rng.uniform(1.7, 2.3))
    body_top = head_top + int(head_h * 1.05)
    body_h = int(head_h * rng.uniform(2.5, 3.5))
    vest = _HI_VIS[int(rng.integers(len(_HI_VIS)))]
    cv2.rectangle(image, (cx - body_w // 2, body_top), (cx + body_w // 2, body_top + body_h), vest, -1)
    strip_y = body_top + int(body_h * rng.uniform(0.35, 0.55))
    cv2.rectangle(
        image,
        (cx - body_w // 2, strip_y),
        (cx + body_w // 2, strip_y + max(2, head_h // 6)),
        (215, 220, 225),
        -1,
    )
    cv2.rectangle(image, (cx - head_w // 5, head_top + head_h - 2), (cx + head_w // 5, body_top), (90, 60, 40), -1)
    skin = _SKIN[int(rng.integers(len(_SKIN)))]
    cv2.ellipse(image, head_c, (head_w // 2, head_h // 2), 0, 0, 360, skin, -1)
    eye_y = head_top + int(head_h * 0.5)
    for dx in (-head_w // 5, head_w // 5):
        cv2.circle(image, (cx + dx, eye_y), max(1, head_h // 14), (30, 25, 20), -1)
    box = [cx - head_w / 2, head_top, cx + head_w / 2, head_top + head_h]
    if wears_helmet:
        dome_w = int(head_w * rng.uniform(0.6, 0.7))
        dome_h = int(head_h * rng.uniform(0.5, 0.6))
        base_y = head_top + int(head_h * 0.35)
        colour = _HELMET[int(rng.integers(len(_HELMET)))]
        cv2.ellipse(image, (cx, base_y), (dome_w, dome_h), 0, 180, 360, colour, -1)
        brim = int(dome_w * 1.2)
        cv2.rectangle(image, (cx - brim, base_y), (cx + brim, base_y + max(2, head_h // 10)), colour, -1)
        if rng.random() < 0.5:  # cap lamp
            cv2.circle(image, (cx, base_y - dome_h // 2), max(1, head_h // 10), (255, 255, 230), -1)
        box = [cx - brim, base_y - dome_h, cx + brim + 1, head_top + head_h]
    else:
        hair = _HAIR[int(rng.integers(len(_HAIR)))]
        cv2.ellipse(image, (cx, head_top + head_h // 3), (head_w // 2, head_h // 3), 0, 180, 360, hair, -1)
    return [max(0.0, box[0]), max(0.0, box[1]), min(float(size), box[2]), min(float(size), box[3])]


def render_helmet_scene(rng: np.random.Generator, size: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw one scene.

    Returns:
        image: (size, size, 3) uint8 RGB.
        boxes: (N, 4) float32 xyxy pixels of the heads (with helmet where worn).
        class_ids: (N,) int64, 0 = helmet, 1 = no_helmet.
    """
    image = _background(rng, size)
    n_miners = int(rng.integers(1, 5))
    slot = size / n_miners
    boxes, class_ids = [], []
    for k in range(n_miners):
        head_h = round(size * rng.uniform(0.09, 0.17))
        margin = head_h * 0.75
        lo, hi = k * slot + margin, (k + 1) * slot - margin
        cx = int(rng.uniform(lo, hi)) if hi > lo else int((k + 0.5) * slot)
        head_top = int(rng.uniform(0.12, 0.55) * size)
        wears_helmet = bool(rng.random() < 0.5)
        boxes.append(_draw_miner(image, rng, cx, head_top, head_h, wears_helmet))
        class_ids.append(HELMET if wears_helmet else NO_HELMET)
    gain = rng.uniform(0.8, 1.2)
    image = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return image, np.asarray(boxes, dtype=np.float32), np.asarray(class_ids, dtype=np.int64)


def generate_helmet_dataset(
    out_dir: Path | str,
    *,
    n_train: int = 64,
    n_val: int = 16,
    n_test: int = 16,
    img_size: int = 160,
    seed: int = 0,
) -> Path:
    """Write a generated YOLO helmet set: ``out_dir/{train,val,test}/{images,labels}`` + data.yaml.

    Image ``i`` of split ``s`` draws from ``default_rng([seed, s, i])``, so a seed always gives
    the same files. Splits with 0 images are left out of data.yaml.

    Returns:
        Path of data.yaml (names ['helmet', 'no_helmet']).
    """
    if img_size < 64:
        raise DatasetError(f"img_size={img_size} is too small for visible heads; use at least 64")
    if n_train < 1 or min(n_val, n_test) < 0:
        raise DatasetError(f"need n_train >= 1 and n_val, n_test >= 0, got {n_train}, {n_val}, {n_test}")
    out = Path(out_dir)
    entries = {}
    for split_index, (split, count) in enumerate((("train", n_train), ("val", n_val), ("test", n_test))):
        if count == 0:
            continue
        for i in range(count):
            rng = np.random.default_rng([seed, split_index, i])
            image, boxes, class_ids = render_helmet_scene(rng, img_size)
            image_path = out / split / "images" / f"{split}_{i:05d}.jpg"
            image_path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(image_path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
            write_yolo_labels(out / split / "labels" / f"{split}_{i:05d}.txt", class_ids, boxes / img_size)
        entries[split] = f"{split}/images"
    logger.info(
        "wrote synthetic helmet set to %s: %s",
        out,
        {s: n for s, n in zip(("train", "val", "test"), (n_train, n_val, n_test), strict=True)},
    )
    return write_data_yaml(out / "data.yaml", HELMET_NAMES, entries)
