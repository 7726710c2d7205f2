"""Scores per group of classes (seed 000's Table 2: precision and recall per hazard group).

A group's scores are those of a detector whose classes are the groups: every predicted and
every labelled box takes its class's group, then the COCO evaluator runs as for classes. Two
boxes of different classes of one group on the same object therefore count once as a hit and
once as a false alarm, as they would for a detector that names the group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mineguard.data.records import Detections
from mineguard.evaluation.detection import DetectionMetrics, evaluate_detections


def group_index(class_names: Sequence[str], groups: Mapping[str, Sequence[str]]) -> np.ndarray:
    """(nc,) the group number of each class, in ``groups`` order; every class in exactly one group."""
    index = np.full(len(class_names), -1, np.int64)
    position = {name: i for i, name in enumerate(class_names)}
    for g, (group, members) in enumerate(groups.items()):
        for name in members:
            if name not in position:
                raise ValueError(f"group {group!r} lists {name!r}, which is not a class ({', '.join(class_names)})")
            if index[position[name]] >= 0:
                raise ValueError(
                    f"class {name!r} is in two groups: {list(groups)[index[position[name]]]!r} and {group!r}"
                )
            index[position[name]] = g
    missing = [name for name, g in zip(class_names, index, strict=True) if g < 0]
    if missing:
        raise ValueError(f"classes in no group: {', '.join(missing)} — add each to one group")
    return index


def regroup(detections: Detections, index: np.ndarray) -> Detections:
    """The same boxes with each class id replaced by its group number."""
    return Detections(detections.xyxy, index[detections.class_id], detections.confidence)


def evaluate_groups(
    predictions: Sequence[Detections],
    ground_truths: Sequence[Detections],
    class_names: Sequence[str],
    groups: Mapping[str, Sequence[str]],
) -> DetectionMetrics:
    """COCO scores with the groups as classes (``names`` = the group names)."""
    index = group_index(class_names, groups)
    return evaluate_detections(
        [regroup(p, index) for p in predictions], [regroup(t, index) for t in ground_truths], list(groups)
    )
