"""The similar-incident index and retrieval scores (seed 003 §4.1, issue #6).

- ``IncidentIndex``: past incidents and their embeddings (``text_embedders``); ``search(alert text)``
  -> ``SimilarIncident`` records, the evidence an alert carries; ``save``/``load`` as JSON + npz (no
  pickle);
- ``nearest``: top-k cosine neighbours; ``precision_at_k``: same-class retrieval of test queries
  against an index of training incidents, with ``chance_precision`` as its yardstick.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from mineguard.warning.text import Incident, IncidentSet, hazard_of
from mineguard.warning.text_embedders import TextEmbedder, as_embeddings, get_text_embedder


def nearest(index: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k cosine neighbours of unit-row ``queries`` (Q, d) among unit-row ``index`` (N, d).

    Returns (scores (Q, k') float32, positions (Q, k') int64), best first, k' = min(k, N); ties keep the
    lower position first.
    """
    index, queries = as_embeddings(index), as_embeddings(queries)
    if index.shape[1] != queries.shape[1]:
        raise ValueError(f"index has {index.shape[1]}-d rows but the queries {queries.shape[1]}-d")
    sims = queries @ index.T
    order = np.argsort(-sims, axis=1, kind="stable")[:, : min(k, index.shape[0])]
    return np.take_along_axis(sims, order, axis=1), order.astype(np.int64)


def precision_at_k(
    query_embeddings: np.ndarray,
    query_labels: Sequence[str],
    index_embeddings: np.ndarray,
    index_labels: Sequence[str],
    *,
    ks: Sequence[int] = (1, 5, 10),
) -> dict[int, float]:
    """Mean over queries of the fraction of the k nearest index incidents that share the query's class."""
    if max(ks) > len(index_labels):
        raise ValueError(f"k = {max(ks)} exceeds the {len(index_labels)} indexed incidents")
    queries = as_embeddings(query_embeddings, len(query_labels))
    _, order = nearest(as_embeddings(index_embeddings, len(index_labels)), queries, max(ks))
    same = np.asarray(index_labels, dtype=object)[order] == np.asarray(query_labels, dtype=object)[:, None]
    return {k: float(same[:, :k].mean()) for k in ks}


def chance_precision(query_labels: Sequence[str], index_labels: Sequence[str]) -> float:
    """Expected precision@k of a random ranking: mean share of the query's class in the index."""
    counts = Counter(index_labels)
    return float(np.mean([counts[y] / len(index_labels) for y in query_labels]))


@dataclass(frozen=True)
class SimilarIncident:
    """A past incident retrieved for an alert: rank 1 = most similar; ``score`` = cosine similarity."""

    rank: int
    score: float
    accident_class: str
    hazard: str | None  # MineGuard hazard name of the incident's class (``text.hazard_of``)
    date: dt.date
    mine: str
    key: str
    url: str
    source: str
    excerpt: str  # about ``excerpt_words`` words of the narrative, around the words shared with the alert

    def as_evidence(self) -> dict[str, Any]:
        """JSON-ready dict for an alert's evidence list."""
        return dataclasses.asdict(self) | {"date": self.date.isoformat()}


def excerpt(text: str, query: str, *, words: int = 40) -> str:
    """The ``words``-word window of ``text`` holding the most distinct non-stop-words of ``query`` (the
    start of the text when none is shared), with "…" where it was cut."""
    tokens = text.split()
    wanted = set(re.findall(r"[a-z]+", query.lower())) - ENGLISH_STOP_WORDS
    norm = [re.sub(r"[^a-z]", "", t.lower()) for t in tokens]
    best, best_hits = 0, 0
    last = max(0, len(tokens) - words)
    for start in [*range(0, last, max(1, words // 4)), last]:
        hits = len(wanted.intersection(norm[start : start + words]))
        if hits > best_hits:
            best, best_hits = start, hits
    piece = " ".join(tokens[best : best + words])
    return ("… " if best > 0 else "") + piece + (" …" if best + words < len(tokens) else "")


INDEX_FORMAT = "mineguard-incident-index"


class IncidentIndex:
    """Past incidents with their (N, dim) unit embeddings and the embedder that made them."""

    def __init__(self, incidents: Sequence[Incident], embeddings: np.ndarray, embedder: TextEmbedder) -> None:
        self.incidents = tuple(incidents)
        self.embeddings = as_embeddings(embeddings, len(self.incidents))
        if self.embeddings.shape[1] != embedder.dim:
            raise ValueError(f"embeddings are {self.embeddings.shape[1]}-d but the embedder gives {embedder.dim}-d")
        self.embedder = embedder

    @classmethod
    def build(
        cls, incidents: Sequence[Incident] | IncidentSet, embedder: TextEmbedder, *, fit: bool = True
    ) -> IncidentIndex:
        """Embed ``incidents`` (fitting the embedder on their texts first when ``fit``)."""
        records = incidents.incidents if isinstance(incidents, IncidentSet) else tuple(incidents)
        texts = [x.text for x in records]
        if fit:
            embedder.fit(texts)
        return cls(records, embedder.transform(texts), embedder)

    def __len__(self) -> int:
        return len(self.incidents)

    @property
    def labels(self) -> list[str]:
        return [x.accident_class for x in self.incidents]

    def search(
        self, query_text: str, k: int = 5, *, min_score: float = 0.0, excerpt_words: int = 40
    ) -> list[SimilarIncident]:
        """The k incidents most similar to ``query_text`` with cosine > ``min_score``, best first; [] for a
        blank query or one that shares nothing with the index (a zero embedding)."""
        if not query_text.strip() or not self.incidents:
            return []
        scores, order = nearest(self.embeddings, self.embedder.transform([query_text]), k)
        found = []
        for score, i in zip(scores[0].tolist(), order[0].tolist(), strict=True):
            if score <= min_score:
                break
            x = self.incidents[i]
            found.append(
                SimilarIncident(
                    rank=len(found) + 1,
                    score=float(score),
                    accident_class=x.accident_class,
                    hazard=hazard_of(x.accident_class, x.text),
                    date=x.date,
                    mine=x.mine,
                    key=x.key,
                    url=x.url,
                    source=x.source,
                    excerpt=excerpt(x.text, query_text, words=excerpt_words),
                )
            )
        return found

    def save(self, path: str | Path) -> Path:
        """Write folder ``path`` with ``index.json`` (incidents, embedder name and config) and ``arrays.npz``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": INDEX_FORMAT,
            "version": 1,
            "embedder": {"name": self.embedder.name, "config": self.embedder.config()},
            "incidents": [dataclasses.asdict(x) | {"date": x.date.isoformat()} for x in self.incidents],
        }
        (path / "index.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        arrays = {f"embedder.{k}": v for k, v in self.embedder.state_arrays().items()}
        np.savez_compressed(path / "arrays.npz", embeddings=self.embeddings, **arrays)  # TF-IDF rows are mostly 0
        return path

    @classmethod
    def load(cls, path: str | Path) -> IncidentIndex:
        """Read a folder written by ``save``; errors name the file and what is wrong."""
        path = Path(path)
        meta_file, arrays_file = path / "index.json", path / "arrays.npz"
        for f in (meta_file, arrays_file):
            if not f.is_file():
                raise ValueError(f"{f}: not found — pass a folder written by IncidentIndex.save")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"{meta_file}: not valid JSON ({e}) — rebuild the index and save it again") from None
        if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT or meta.get("version") != 1:
            what = {k: meta.get(k) for k in ("format", "version")} if isinstance(meta, dict) else type(meta).__name__
            raise ValueError(f"{meta_file}: not a version-1 {INDEX_FORMAT} ({what})")
        if not isinstance(meta.get("incidents"), list) or not isinstance(meta.get("embedder"), dict):
            raise ValueError(f"{meta_file}: needs an 'incidents' list and an 'embedder' object")
        fields = {f.name for f in dataclasses.fields(Incident)}
        incidents = []
        for n, record in enumerate(meta["incidents"]):
            if set(record) != fields:
                raise ValueError(f"{meta_file}: incident {n} has fields {sorted(record)}, expected {sorted(fields)}")
            incidents.append(Incident(**(record | {"date": dt.date.fromisoformat(record["date"])})))
        with np.load(arrays_file, allow_pickle=False) as arrays:
            state = {k.removeprefix("embedder."): arrays[k] for k in arrays.files if k.startswith("embedder.")}
            embeddings = arrays["embeddings"]
        spec = meta["embedder"]
        embedder = get_text_embedder(spec["name"], **spec["config"]).load_state_arrays(state)
        return cls(incidents, embeddings, embedder)
