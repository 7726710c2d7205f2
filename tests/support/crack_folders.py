"""Synthetic crack / no-crack patch folders for the tests: a folder per class of small PNG "walls".

Every patch is a random brick-coloured texture (its own seed, so two patches correlate ~0); a crack
patch has a dark one-pixel line from a random point of the left edge to one of the right edge.
File names are zero-padded numbers like the real set's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def wall(seed: int, *, crack: bool, side: int = 24) -> np.ndarray:
    """(side, side, 3) uint8: a brick-red texture; with ``crack`` a dark line across it."""
    rng = np.random.default_rng(seed)
    base = np.array([170, 90, 60], np.float64) + rng.normal(0, 12, 3)
    image = base + rng.normal(0, 40, (side, side, 3))
    if crack:
        start, end = rng.integers(0, side, 2)
        cols = np.arange(side)
        image[np.round(start + (end - start) * cols / (side - 1)).astype(int), cols] = 25
    return np.clip(image, 0, 255).astype(np.uint8)


def write_crack_folder(
    root: Path,
    numbers: dict[str, list[int]] | None = None,
    *,
    side: int = 24,
    duplicates: tuple[tuple[str, str], ...] = (),
) -> Path:
    """``root/Positive`` and ``root/Negative`` PNGs named ``{number:05d}.png`` (default 12 of each,
    numbers 1-12); each ``(source, copy)`` in ``duplicates`` ("Positive/00003.png") is written as an
    exact copy of ``source``."""
    numbers = numbers or {"Positive": list(range(1, 13)), "Negative": list(range(1, 13))}
    for folder, values in numbers.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for number in values:
            seed = number * 2 + (folder == "Positive")
            Image.fromarray(wall(seed, crack=folder == "Positive", side=side)).save(root / folder / f"{number:05d}.png")
    for source, copy in duplicates:
        (root / copy).write_bytes((root / source).read_bytes())
    return root
