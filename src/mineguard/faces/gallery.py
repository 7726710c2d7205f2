"""The gallery of enrolled miners: face embeddings per person, with erasure.

A gallery holds, for every enrolled person, ``k`` unit-length embeddings (one row per enrolment
image) and references to the images they came from. :class:`GalleryStore` is the small interface
the identifier needs; :class:`MemoryGallery` keeps everything in memory and :class:`NpzGallery`
keeps it in a folder::

    <gallery>/index.json                 people, counts, image refs, embedding dimension
    <gallery>/embeddings-000007.npz      rows (N, D) float32 + the person id of each row
    <gallery>/images/<person_id>/...     copies of enrolment images (only with ``add(images=...)``)

Embeddings are **normalised on the way in** (any non-zero finite vector is accepted and stored
divided by its L2 norm), so callers may pass raw network outputs; zero or non-finite rows are
rejected. Person ids must match ``[A-Za-z0-9][A-Za-z0-9._-]*`` (e.g. ``XW-01``, ``s12``) because
they name folders on disk.

Enrolment refuses duplicates (:func:`check_not_duplicate`, used by the CLI and the platform): a
face scoring at least the accept threshold against *another* person (``duplicate_identity``: one
face, two ids), or a photo already in the same person's enrolment (``already_enrolled``: the same
embedding, bit for bit). Extending a person with new photos is allowed.

Erasure (``remove``) deletes every embedding row, image reference and stored image copy of the
person. Image files referenced *outside* the gallery folder are the caller's to delete.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

import numpy as np

from mineguard.faces.errors import FaceImageError

logger = logging.getLogger(__name__)


def l2_normalise(x: np.ndarray, *, eps: float = 1e-12) -> np.ndarray:
    """Divide each row (last axis) by its L2 norm; (..., D) -> (..., D) float32. Zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, eps)).astype(np.float32)


_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_INDEX_FORMAT = "mineguard-face-gallery"
_INDEX_VERSION = 1


@runtime_checkable
class GalleryStore(Protocol):
    """What the identifier needs from a gallery; see the module docstring for the rules."""

    def add(self, person_id: str, embeddings: np.ndarray, *, image_refs: list[str] | None = None) -> int:
        """Enrol (or extend) ``person_id`` with (k, D) or (D,) embeddings; returns rows added."""
        ...

    def remove(self, person_id: str) -> int:
        """Erase the person completely; returns the embeddings removed (0 if not enrolled)."""
        ...

    def people(self) -> list[str]:
        """Enrolled person ids in enrolment order."""
        ...

    def embeddings(self) -> tuple[np.ndarray, list[str]]:
        """All rows: (N, D) float32 unit vectors and the person id of each row."""
        ...

    def image_refs(self, person_id: str) -> list[str]:
        """Image references of the person ([] if not enrolled)."""
        ...

    def count(self, person_id: str) -> int:
        """Number of embeddings of the person (0 if not enrolled)."""
        ...


def check_person_id(person_id: str) -> str:
    """Return ``person_id`` unchanged, or raise ValueError saying what a valid id looks like."""
    if not isinstance(person_id, str) or not _PERSON_ID.fullmatch(person_id):
        raise ValueError(
            f"person id {person_id!r} is not valid — use letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. 'XW-01')"
        )
    return person_id


def prepare_embeddings(embeddings: np.ndarray, *, dim: int | None) -> np.ndarray:
    """Validate and L2-normalise enrolment embeddings.

    Args:
        embeddings: (k, D) or (D,) finite, non-zero vectors.
        dim: the gallery's dimension ``D``, or None for an empty gallery.

    Returns:
        (k, D) float32 unit rows.
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"embeddings must be (k, D) with k, D >= 1, got shape {np.shape(embeddings)}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"embedding dimension {x.shape[1]} does not match the gallery's {dim} — same network?")
    if not np.isfinite(x).all():
        raise ValueError("embeddings contain NaN or infinity — check the network output")
    if (np.linalg.norm(x, axis=1) == 0).any():
        raise ValueError("an embedding is all zeros and cannot be normalised")
    return l2_normalise(x)


def check_not_duplicate(
    gallery: tuple[np.ndarray, list[str]],
    person_id: str,
    embeddings: np.ndarray,
    *,
    threshold: float | None,
    names: Sequence[str] | None = None,
) -> None:
    """Raise :class:`FaceImageError` when enrolling ``embeddings`` as ``person_id`` would duplicate.

    ``duplicate_identity``: a new row scores at least ``threshold`` (cosine) against another
    person's row, or (with no threshold) equals one. ``already_enrolled``: a new row equals one of
    the person's rows, or another new row. "Equals" is bit for bit: the same photo through the same
    network and ``prepare_embeddings`` gives the same row, while two photos of one face never do,
    even on a weak network whose embeddings of them score 0.9999.

    Args:
        gallery: the enrolled rows, (N, D) float32 unit vectors, and the person id of each row.
        embeddings: (k, D) float32 unit rows to enrol (``prepare_embeddings``).
        threshold: the accept (open-set) threshold, or None.
        names: how to name row ``i`` in the message (the image file), default ``embeddings[i]``.
    """
    rows, ids = gallery
    new = np.asarray(embeddings, dtype=np.float32).reshape(len(embeddings), -1)
    label = (lambda i: names[i]) if names is not None else (lambda i: f"embeddings[{i}]")
    owner = np.array(ids, dtype=object)
    if len(ids):
        rows = np.asarray(rows, dtype=np.float32)
        scores = new.astype(np.float64) @ rows.T.astype(np.float64)  # (k, N) cosine
        same = _equal_rows(new, rows, scores)
        others = owner != person_id
        hit = ((scores >= threshold) if threshold is not None else same) & others[None, :]
        if hit.any():
            i, j = _best(np.where(hit, scores, -np.inf))
            raise FaceImageError(
                "duplicate_identity",
                f"{label(i)}: this face is already enrolled as {owner[j]!r} (score {scores[i, j]:.4f}"
                + (f" >= {threshold:.4f})" if threshold is not None else ", the same photo)")
                + f"; nothing was enrolled for {person_id!r}",
            )
        repeated = same & ~others[None, :]
        if repeated.any():
            i = int(np.argwhere(repeated)[0, 0])
            raise FaceImageError(
                "already_enrolled",
                f"{label(i)}: this photo is already enrolled for {person_id!r}; nothing was enrolled",
            )
    twins = np.triu(_equal_rows(new, new, new.astype(np.float64) @ new.T.astype(np.float64)), k=1)
    if twins.any():
        i, j = (int(v) for v in np.argwhere(twins)[0])
        raise FaceImageError(
            "already_enrolled", f"{label(j)} is the same photo as {label(i)}; nothing was enrolled for {person_id!r}"
        )


def _equal_rows(a: np.ndarray, b: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) bool: rows equal bit for bit (checked only where the cosine is near 1)."""
    equal = np.zeros(scores.shape, dtype=bool)
    for i, j in np.argwhere(scores >= 0.999):
        equal[i, j] = np.array_equal(a[i], b[j])
    return equal


def _best(scores: np.ndarray) -> tuple[int, int]:
    i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return int(i), int(j)


class MemoryGallery:
    """A :class:`GalleryStore` in memory (tests, short-lived services)."""

    def __init__(self) -> None:
        self._rows: dict[str, np.ndarray] = {}
        self._refs: dict[str, list[str]] = {}

    @property
    def dim(self) -> int | None:
        """Embedding dimension ``D``, or None while empty."""
        return next(iter(self._rows.values())).shape[1] if self._rows else None

    def add(self, person_id: str, embeddings: np.ndarray, *, image_refs: list[str] | None = None) -> int:
        rows = prepare_embeddings(embeddings, dim=self.dim)
        check_person_id(person_id)
        old = self._rows.get(person_id)
        self._rows[person_id] = rows if old is None else np.concatenate([old, rows])
        self._refs.setdefault(person_id, []).extend(image_refs or [])
        return len(rows)

    def remove(self, person_id: str) -> int:
        self._refs.pop(person_id, None)
        rows = self._rows.pop(person_id, None)
        return 0 if rows is None else len(rows)

    def people(self) -> list[str]:
        return list(self._rows)

    def embeddings(self) -> tuple[np.ndarray, list[str]]:
        return _stack(self._rows, self.dim)

    def image_refs(self, person_id: str) -> list[str]:
        return list(self._refs.get(person_id, []))

    def count(self, person_id: str) -> int:
        rows = self._rows.get(person_id)
        return 0 if rows is None else len(rows)


class NpzGallery(MemoryGallery):
    """A :class:`GalleryStore` in a folder: a versioned ``.npz`` plus ``index.json``.

    Every change writes a new ``embeddings-<generation>.npz`` (temp file + ``os.replace``), then
    atomically replaces ``index.json`` — the commit point — and only then deletes the previous
    ``.npz``. A crash therefore leaves either the old or the new gallery, never a mix, and
    leftovers (temp files, unreferenced ``.npz``, image folders of people not in the index) are
    swept on open and after every write, so an erased person cannot linger in an old file.

    Sweeping only ever happens in a folder that has an ``index.json``. One writer at a time: there
    is no file lock. Deleting a file unlinks it; it does not overwrite the disk blocks.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._generation = 0
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"gallery path {self.path} is a file — give a folder (it is created if missing)")
        if (self.path / "index.json").is_file():
            self._load()
        self._sweep()

    @property
    def images_dir(self) -> Path:
        return self.path / "images"

    def add(
        self,
        person_id: str,
        embeddings: np.ndarray,
        *,
        image_refs: list[str] | None = None,
        images: Sequence[str | Path] | None = None,
    ) -> int:
        """Enrol like :meth:`MemoryGallery.add`; ``images`` are copied into ``images/<person_id>/``.

        Copied images are recorded as refs relative to the gallery folder (``images/XW-01/0000_a.png``).
        """
        prepare_embeddings(embeddings, dim=self.dim)  # fail before copying anything
        check_person_id(person_id)
        missing = [str(p) for p in images or [] if not Path(p).is_file()]
        if missing:
            raise FileNotFoundError(f"enrolment images not found: {', '.join(missing)}")
        refs = list(image_refs or [])
        if images:
            folder = self.images_dir / person_id
            folder.mkdir(parents=True, exist_ok=True)
            start = len(list(folder.iterdir()))
            for i, src in enumerate(images):
                dst = folder / f"{start + i:04d}_{Path(src).name}"
                shutil.copyfile(src, dst)
                refs.append(dst.relative_to(self.path).as_posix())
        added = super().add(person_id, embeddings, image_refs=refs)
        self._commit()
        return added

    def remove(self, person_id: str) -> int:
        if person_id not in self._rows:
            return 0
        external = [r for r in self._refs.get(person_id, []) if not r.startswith("images/")]
        removed = super().remove(person_id)
        self._commit()  # the sweep deletes images/<person_id>/
        if external:
            logger.info("erased %s; %d image refs outside the gallery were not deleted", person_id, len(external))
        return removed

    def check_photos_new(self, person_id: str, photos: Sequence[str | Path]) -> None:
        """Raise :class:`FaceImageError` when a photo file is already stored in the gallery (under
        ``person_id``: ``already_enrolled``; under another id: ``duplicate_identity``) or given twice.

        Compares file bytes with the stored copies, so it holds whatever the network: embeddings of
        one photo computed in batches of different sizes differ in the last bits.
        """
        stored: dict[bytes, str] = {}
        if self.images_dir.is_dir():
            for copy in sorted(self.images_dir.glob("*/*")):
                if copy.is_file():
                    stored.setdefault(copy.read_bytes(), copy.parent.name)
        seen: dict[bytes, str] = {}
        for photo in photos:
            data = Path(photo).read_bytes()
            owner = stored.get(data)
            if owner is not None and owner != person_id:
                raise FaceImageError(
                    "duplicate_identity",
                    f"this photo is already enrolled as {owner!r}; nothing was enrolled for {person_id!r}",
                    path=str(photo),
                )
            if owner == person_id:
                raise FaceImageError(
                    "already_enrolled",
                    f"this photo is already enrolled for {person_id!r}; nothing was enrolled",
                    path=str(photo),
                )
            if data in seen:
                raise FaceImageError(
                    "already_enrolled",
                    f"the same photo as {seen[data]}; nothing was enrolled for {person_id!r}",
                    path=str(photo),
                )
            seen[data] = str(photo)

    def _load(self) -> None:
        index_path = self.path / "index.json"
        index = json.loads(index_path.read_text(encoding="utf-8"))
        if index.get("format") != _INDEX_FORMAT or index.get("version") != _INDEX_VERSION:
            raise ValueError(f"{index_path} is not a version-{_INDEX_VERSION} MineGuard face gallery")
        self._generation = int(index["generation"])
        people: dict[str, dict] = index["people"]
        if people:
            with np.load(self.path / index["embeddings_file"], allow_pickle=False) as data:
                rows, ids = data["embeddings"].astype(np.float32), data["person_ids"]
            for pid, entry in people.items():
                mask = ids == pid
                if int(mask.sum()) != int(entry["count"]):
                    raise ValueError(f"{index_path}: {pid} has {mask.sum()} rows, index says {entry['count']}")
                self._rows[pid] = rows[mask]
                self._refs[pid] = list(entry["image_refs"])

    def _commit(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self._generation += 1
        npz_name = f"embeddings-{self._generation:06d}.npz"
        rows, ids = self.embeddings()
        with _atomic_write(self.path / npz_name) as f:
            np.savez(f, embeddings=rows, person_ids=np.array(ids, dtype=str))
        index = {
            "format": _INDEX_FORMAT,
            "version": _INDEX_VERSION,
            "generation": self._generation,
            "dim": self.dim,
            "embeddings_file": npz_name,
            "people": {p: {"count": self.count(p), "image_refs": self._refs.get(p, [])} for p in self._rows},
        }
        with _atomic_write(self.path / "index.json") as f:
            f.write(json.dumps(index, indent=1).encode("utf-8"))
        self._sweep(keep=npz_name)

    def _sweep(self, keep: str | None = None) -> None:
        """Delete temp files, ``.npz`` files other than ``keep`` and image folders of non-people."""
        index_path = self.path / "index.json"
        if not index_path.is_file():  # not (yet) a gallery folder: touch nothing of the user's
            return
        if keep is None:
            keep = json.loads(index_path.read_text(encoding="utf-8"))["embeddings_file"]
        for f in self.path.iterdir():
            if f.name.endswith(".tmp") or (f.name.startswith("embeddings-") and f.suffix == ".npz" and f.name != keep):
                f.unlink()
        if self.images_dir.is_dir():
            for folder in self.images_dir.iterdir():
                if folder.name not in self._rows:
                    shutil.rmtree(folder) if folder.is_dir() else folder.unlink()


@contextmanager
def _atomic_write(target: Path) -> Iterator[BinaryIO]:
    """Write bytes to ``<target>.<random>.tmp``, fsync, then ``os.replace`` it onto ``target``."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _stack(rows: dict[str, np.ndarray], dim: int | None) -> tuple[np.ndarray, list[str]]:
    if not rows:
        return np.zeros((0, dim or 0), dtype=np.float32), []
    ids = [pid for pid, r in rows.items() for _ in range(len(r))]
    return np.concatenate(list(rows.values())).astype(np.float32, copy=False), ids
