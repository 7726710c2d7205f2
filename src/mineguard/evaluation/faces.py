"""Face identification and verification metrics (closed-set, open-set and 1:1).

Conventions shared by every function here:

* An identity is a ``str``; ``None`` means "unknown" — as a prediction, the system rejected the
  probe; as a truth, the probe's person is not enrolled.
* A score is a similarity (higher = more alike, e.g. cosine) and a probe is **accepted when
  score >= threshold**.
* A ratio with an empty denominator is ``nan`` (undefined), never a silent 0 or 1.

Per-person precision and miss rate follow the layout of seed 002 Table 6 (industrial test:
"Precision" and "Loss" per miner).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
from sklearn.metrics import roc_curve

Identity = str | None


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


def _check_pairs(pred_ids: Sequence[Identity], true_ids: Sequence[Identity]) -> None:
    if len(pred_ids) != len(true_ids):
        raise ValueError(f"{len(pred_ids)} predictions but {len(true_ids)} true ids — one prediction per probe")


def rank1_accuracy(pred_ids: Sequence[Identity], true_ids: Sequence[Identity]) -> float:
    """Closed-set rank-1 accuracy: the fraction of probes whose prediction equals the truth.

    A ``None`` prediction (rejected) counts as wrong. Returns ``nan`` for no probes.
    """
    _check_pairs(pred_ids, true_ids)
    return _ratio(sum(p is not None and p == t for p, t in zip(pred_ids, true_ids, strict=True)), len(true_ids))


@dataclass(frozen=True)
class OpenSetScores:
    """Open-set identification scores; see :func:`open_set_prf` for the definitions."""

    precision: float
    recall: float
    f1: float
    false_accept_rate: float
    n_known: int
    n_unknown: int
    n_identified: int
    n_correct: int

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-ready: ``nan`` becomes ``None``."""
        return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in asdict(self).items()}


def open_set_prf(pred_ids: Sequence[Identity], true_ids: Sequence[Identity]) -> OpenSetScores:
    """Open-set precision, recall and F1 of an identification run.

    With one prediction per probe (``None`` = rejected as unknown) and one truth per probe
    (``None`` = the person is not enrolled):

    * identifications made = probes with a non-None prediction;
    * correct = identifications equal to the truth (only possible for known people);
    * **precision** = correct / identifications made — an unknown probe accepted as anyone, or a
      known probe given the wrong name, is a false identification;
    * **recall** = correct / known probes (a known probe rejected as unknown is a miss);
    * **F1** = 2 P R / (P + R); 0 when P + R = 0; ``nan`` when P or R is undefined;
    * **false_accept_rate** = unknown probes accepted as anyone / unknown probes.
    """
    _check_pairs(pred_ids, true_ids)
    n_known = sum(t is not None for t in true_ids)
    n_identified = sum(p is not None for p in pred_ids)
    n_correct = sum(p is not None and p == t for p, t in zip(pred_ids, true_ids, strict=True))
    n_false_accept = sum(p is not None and t is None for p, t in zip(pred_ids, true_ids, strict=True))
    precision, recall = _ratio(n_correct, n_identified), _ratio(n_correct, n_known)
    if math.isnan(precision) or math.isnan(recall):
        f1 = float("nan")
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return OpenSetScores(
        precision=precision,
        recall=recall,
        f1=f1,
        false_accept_rate=_ratio(n_false_accept, len(true_ids) - n_known),
        n_known=n_known,
        n_unknown=len(true_ids) - n_known,
        n_identified=n_identified,
        n_correct=n_correct,
    )


class PrecisionMiss(NamedTuple):
    """Per-person scores of seed 002 Table 6."""

    precision: float
    miss_rate: float


def per_person_precision_and_miss(
    pred_ids: Sequence[Identity], true_ids: Sequence[Identity]
) -> dict[str, PrecisionMiss]:
    """Per-person precision and miss rate, like seed 002 Table 6 ("Precision", "Loss").

    For each person ``p`` (every non-None id among truths and predictions, sorted):

    * precision = probes named ``p`` that are ``p`` / probes named ``p`` (``nan`` if never named);
    * miss rate = probes of ``p`` not named ``p`` (rejected or given another name) / probes of
      ``p`` (``nan`` if ``p`` never appears, e.g. a wrong name given to an unknown visitor).

    Precision + miss rate need not be 1: they have different denominators.
    """
    _check_pairs(pred_ids, true_ids)
    people = sorted({i for i in (*pred_ids, *true_ids) if i is not None})
    scores: dict[str, PrecisionMiss] = {}
    for person in people:
        named = [t for p, t in zip(pred_ids, true_ids, strict=True) if p == person]
        truly = [p for p, t in zip(pred_ids, true_ids, strict=True) if t == person]
        scores[person] = PrecisionMiss(
            precision=_ratio(sum(t == person for t in named), len(named)),
            miss_rate=_ratio(sum(p != person for p in truly), len(truly)),
        )
    return scores


def _scores(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of scores, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contain NaN or infinity")
    return x


def threshold_at_far(
    genuine_scores: Sequence[float] | np.ndarray, impostor_scores: Sequence[float] | np.ndarray, far: float = 0.01
) -> float:
    """The smallest threshold whose false-accept rate on ``impostor_scores`` is at most ``far``.

    At most ``floor(far * n_impostor)`` impostors may score >= the threshold. The answer is the
    next float above the impostor score that must be rejected, so the threshold is as low as it
    can be (highest TAR) without passing the target. **Ties:** impostors with equal scores are
    accepted or rejected together, so when the allowed count falls inside a run of ties the whole
    run is rejected and the achieved FAR is *below* ``far``. When every impostor may be accepted
    (``far * n >= n``), the threshold is the lowest score seen, genuine or impostor.

    Raises:
        ValueError: no impostor scores (FAR is undefined), ``far`` outside [0, 1], NaN scores.
    """
    genuine, impostor = _scores(genuine_scores, "genuine scores"), _scores(impostor_scores, "impostor scores")
    if not 0.0 <= far <= 1.0:
        raise ValueError(f"far must be in [0, 1], got {far}")
    if impostor.size == 0:
        raise ValueError("no impostor scores — a false-accept rate needs impostor (or unknown-person) probes")
    allowed = math.floor(far * impostor.size + 1e-9)  # 1e-9: 0.29 * 100 is 28.999...
    if allowed >= impostor.size:
        return float(np.concatenate([genuine, impostor]).min())
    descending = np.sort(impostor)[::-1]
    return float(np.nextafter(descending[allowed], np.inf))


def tar_at_far(
    genuine_scores: Sequence[float] | np.ndarray, impostor_scores: Sequence[float] | np.ndarray, far: float = 0.01
) -> tuple[float, float]:
    """True-accept rate at the threshold of :func:`threshold_at_far`; returns ``(TAR, threshold)``.

    TAR = genuine scores >= threshold / genuine scores (``nan`` with no genuine scores).
    """
    threshold = threshold_at_far(genuine_scores, impostor_scores, far)
    genuine = _scores(genuine_scores, "genuine scores")
    return _ratio(int((genuine >= threshold).sum()), genuine.size), threshold


class RocPoints(NamedTuple):
    """ROC of a verifier: arrays of equal length, thresholds descending (first is ``+inf``)."""

    far: np.ndarray
    tar: np.ndarray
    thresholds: np.ndarray


def roc_points(
    genuine_scores: Sequence[float] | np.ndarray, impostor_scores: Sequence[float] | np.ndarray
) -> RocPoints:
    """FAR and TAR at every distinct score used as a threshold, from (0, 0) at ``+inf`` up to (1, 1).

    Both score lists must be non-empty. ``far[i]`` = impostors >= ``thresholds[i]`` / impostors.
    ``sklearn.metrics.roc_curve`` with ``drop_intermediate=False`` (every distinct score kept).
    """
    genuine, impostor = _scores(genuine_scores, "genuine scores"), _scores(impostor_scores, "impostor scores")
    if genuine.size == 0 or impostor.size == 0:
        raise ValueError("an ROC needs both genuine and impostor scores")
    is_genuine = np.r_[np.ones(genuine.size, dtype=bool), np.zeros(impostor.size, dtype=bool)]
    far, tar, thresholds = roc_curve(is_genuine, np.r_[genuine, impostor], drop_intermediate=False)
    return RocPoints(far=far, tar=tar, thresholds=thresholds)
