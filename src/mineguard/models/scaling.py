"""Compound scaling of a detector's width (channels) and depth (repeated blocks), YOLO style."""

from __future__ import annotations


def scale_width(channels: int, width: float, max_channels: int = 1 << 30) -> int:
    """``channels`` (capped at ``max_channels``) times ``width``, rounded to a multiple of 8, at least 8."""
    c = min(channels, max_channels) * width
    return int(max(8, round(c / 8) * 8))


def scale_depth(n: int, depth: float) -> int:
    """``n`` repeats times ``depth``, rounded, at least 1."""
    return max(round(n * depth), 1)
