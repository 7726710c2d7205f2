"""The face evaluation harness: one protocol, one embedder, every figure issue #5 asks for.

For a :class:`~mineguard.faces.protocol.FaceProtocol` and an embedding function:

Every image goes through :class:`~mineguard.faces.pipeline.FacePreparer` (as in the product);

1. the known people are enrolled from their (clean) enrolment images;
2. the open-set threshold is chosen on the validation probes (known validation images and the
   validation unknowns) at the same dust level as the test, never on test probes;
3. the test probes (known people's test images, the test unknowns) get synthetic coal dust at
   ``level`` (seeded per image) and are identified.

Reported (:class:`FaceEvaluation`): closed-set rank-1 accuracy (the nearest enrolled person, no
threshold), open-set precision / recall / F1 / false-accept rate, per-person precision and miss
rate (seed 002 Table 6), TAR at FAR = 1 % for 1:1 verification (genuine = a probe against its own
person, impostor = a probe against any other person, unknown probes included), and the
threshold used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mineguard.evaluation.faces import open_set_prf, per_person_precision_and_miss, rank1_accuracy, tar_at_far
from mineguard.faces.dust import add_coal_dust
from mineguard.faces.gallery import MemoryGallery
from mineguard.faces.identify import Identifier, choose_open_set_threshold
from mineguard.faces.pipeline import FacePreparer
from mineguard.faces.protocol import FaceProtocol

EmbedFn = Callable[[Sequence[np.ndarray]], np.ndarray]  # face crops -> (N, D) L2-normalised
LEVELS = ("none", "light", "heavy")


@dataclass(frozen=True)
class FaceEvaluation:
    level: str
    threshold: float
    rank1: float
    precision: float
    recall: float
    f1: float
    false_accept_rate: float
    tar_at_far1: float
    per_person: dict[str, tuple[float, float]] = field(default_factory=dict)  # person -> (precision, miss rate)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _faces(paths: Sequence[Path], level: str, seed: int, preparer: FacePreparer) -> list[np.ndarray]:
    images = [preparer.load(p).image for p in paths]
    if level == "none":
        return images
    return [add_coal_dust(img, level=level, seed=seed * 100_003 + i) for i, img in enumerate(images)]


def evaluate_faces(
    protocol: FaceProtocol,
    embed: EmbedFn,
    *,
    level: str = "none",
    seed: int = 0,
    root: str | Path | None = None,
    size: int = 112,
) -> FaceEvaluation:
    if level not in LEVELS:
        raise ValueError(f"dust level must be one of {', '.join(LEVELS)}, got {level!r}")
    split = protocol if root is None else FaceProtocol.from_json(protocol.to_json(), root=str(root))
    preparer = FacePreparer(size=size)
    gallery = MemoryGallery()
    enrol = list(split.items("enrol"))
    enrol_vecs = embed(_faces([p for p, _ in enrol], "none", seed, preparer))
    for pid in split.known_ids:
        gallery.add(pid, enrol_vecs[[i for i, (_, q) in enumerate(enrol) if q == pid]])
    probe = Identifier(gallery, threshold=0.0)

    def best(split_name: str, salt: int) -> tuple[list, np.ndarray, list[str | None]]:
        items = list(split.items(split_name))
        vecs = embed(_faces([p for p, _ in items], level, seed + salt, preparer))
        truth = [pid if pid in split.known_ids else None for _, pid in items]
        return probe.identify_many(vecs), vecs, truth

    val_known, _, val_known_true = best("val_known", 1)
    val_unknown, _, _ = best("val_unknown", 2)
    threshold = choose_open_set_threshold(
        [r.score for r in val_known],
        [r.score for r in val_unknown],
        known_correct=[r.nearest_id == t for r, t in zip(val_known, val_known_true, strict=True)],
    )
    test_known, known_vecs, known_true = best("test_known", 3)
    test_unknown, unknown_vecs, unknown_true = best("test_unknown", 4)
    results, truth = test_known + test_unknown, known_true + unknown_true
    predicted = [r.nearest_id if r.score >= threshold else None for r in results]
    scores = open_set_prf(predicted, truth)
    rank1 = rank1_accuracy([r.nearest_id for r in test_known], known_true)
    matrix, people = probe.person_scores(np.concatenate([known_vecs, unknown_vecs]))
    column = {pid: j for j, pid in enumerate(people)}
    genuine = [matrix[i, column[t]] for i, t in enumerate(truth) if t is not None]
    impostor = [matrix[i, j] for i, t in enumerate(truth) for j, pid in enumerate(people) if pid != t]
    tar, _ = tar_at_far(genuine, impostor, far=0.01)
    per_person = {
        pid: (float(pm.precision), float(pm.miss_rate))
        for pid, pm in per_person_precision_and_miss(predicted, truth).items()
    }
    return FaceEvaluation(
        level,
        float(threshold),
        float(rank1),
        float(scores.precision),
        float(scores.recall),
        float(scores.f1),
        float(scores.false_accept_rate),
        float(tar),
        per_person,
    )
