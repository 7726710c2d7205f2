"""The face gallery in the platform's database: :class:`~mineguard.faces.gallery.GalleryStore` on ``face_embeddings``.

:class:`DbGallery` is what :class:`~mineguard.faces.identify.Identifier` reads at the gates, so the
platform identifies with the same code as the ML core, and the API hands the same rows to face
terminals. Each embedding is one row: ``dim`` little-endian float32 values, L2-normalised and
checked on the way in exactly as the ML core does (``prepare_embeddings``, ``check_person_id``);
every row of the gallery has the same dimension.

The module-level functions work in the caller's transaction (the API runs them in its unit of
work); :class:`DbGallery` runs each in a transaction of its own. Every change appends to the audit
log in the same transaction: ``face.enrolled`` and ``face.erased``, subject ``asset:<person_id>``.

Erasure deletes every embedding row of the person and, when the gallery has an ``image_root``,
the folder ``<image_root>/<person_id>/`` with every image stored in it. Image refs pointing
anywhere else are counted in the audit entry and left to their owner (as ``NpzGallery`` does).
Erasure also forgets the person's face crops in the evidence store: every snapshot or clip named
by a face event that identified them (``source`` "face", ``asset_id`` the person) is deleted with
every pointer to it (``services/evidence/store.forget``); the events themselves stay, without
their evidence, because they are the headcount's gate passages. The ``face.erased`` audit entry
holds counts only, never an image, an embedding or a hash of one.
Files go before the transaction commits: if deleting them fails, the rows stay and the erasure
can simply be run again. Deleting a file unlinks it; it does not overwrite the disk blocks.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from mineguard.faces.gallery import check_not_duplicate, check_person_id, prepare_embeddings
from mineguard.services.audit import log as audit
from mineguard.services.evidence import store as evidence
from mineguard.services.storage.db import transaction
from mineguard.services.storage.models import FaceEmbedding, SourceEvent
from mineguard.services.storage.types import utc_now

log = logging.getLogger(__name__)

MAX_PERSON_ID = 64  # FaceEmbedding.person_id
MAX_IMAGE_REF = 300  # FaceEmbedding.image_ref
_FLOAT32 = np.dtype("<f4")


@dataclass(frozen=True)
class EnrolledPerson:
    """One enrolled person: embedding rows, image refs and when they were enrolled (first, last)."""

    person_id: str
    embeddings: int
    image_refs: list[str]
    first_enrolled_at: datetime
    last_enrolled_at: datetime


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed: embedding rows, image files, evidence of face events, and image refs
    it could not delete."""

    person_id: str
    embeddings: int
    image_files: int
    refs_outside: int  # refs to images outside <image_root>/<person_id>/: their owner deletes them
    evidence_files: int = 0  # face crops / snapshots / clips of the person's face events
    events_cleared: int = 0  # face events whose evidence pointers were removed
    alert_media: int = 0  # media entries removed from alerts

    @property
    def removed_anything(self) -> bool:
        return self.embeddings > 0 or self.image_files > 0 or self.evidence_files > 0 or self.events_cleared > 0


def gallery_dim(session: Session) -> int | None:
    """The gallery's embedding dimension ``D``, or None while it is empty."""
    return session.scalar(select(FaceEmbedding.dim).limit(1))


def enrol_embeddings(
    session: Session,
    person_id: str,
    embeddings: np.ndarray,
    *,
    actor: str,
    source: str,
    image_refs: list[str] | None = None,
    threshold: float | None = None,
) -> int:
    """Add (k, D) or (D,) embeddings of ``person_id``; returns k. Raises ValueError on bad input, and
    :class:`~mineguard.faces.errors.FaceImageError` (a ValueError) for a duplicate: a face scoring at
    least ``threshold`` against another person, or a photo already enrolled (``check_not_duplicate``).

    ``image_refs``, when given, has one ref per embedding: the image it was computed from.
    """
    _check_id(person_id)
    rows = prepare_embeddings(embeddings, dim=gallery_dim(session))
    refs: list[str | None] = [None] * len(rows)
    if image_refs:
        if len(image_refs) != len(rows):
            raise ValueError(
                f"got {len(image_refs)} image refs for {len(rows)} embeddings — give one per embedding "
                "(the image it came from) or none"
            )
        too_long = [ref for ref in image_refs if not 0 < len(ref) <= MAX_IMAGE_REF]
        if too_long:
            raise ValueError(f"image refs must be 1 to {MAX_IMAGE_REF} characters; {len(too_long)} are not")
        refs = list(image_refs)
    check_not_duplicate(gallery_rows(session), person_id, rows, threshold=threshold)
    now, dim = utc_now(), rows.shape[1]
    session.add_all(
        FaceEmbedding(
            person_id=person_id,
            dim=dim,
            vector=row.astype(_FLOAT32).tobytes(),
            image_ref=ref,
            created_at=now,
            source=source,
        )
        for row, ref in zip(rows, refs, strict=True)
    )
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="face.enrolled",
        subject=f"asset:{person_id}",
        payload={
            "embeddings": len(rows),
            "dim": dim,
            "image_refs": len(image_refs or []),
            "total": count_embeddings(session, person_id),
            "source": source,
        },
    )
    return len(rows)


def gallery_image_refs(person_id: str, refs: list[str], image_root: Path | None = None) -> list[str]:
    """The image refs a client sends, checked: each names one file of the person's gallery folder
    ``<image_root>/<person_id>/`` — a plain file name (``front.jpg``), or the same name under the
    person's folder (``<person_id>/front.jpg``) — and is stored as ``<person_id>/<name>``.

    Refused with ValueError naming the ref: path separators, ``..``, absolute paths, drive letters,
    NUL and control characters, and (with ``image_root``) a name that resolves outside the folder,
    e.g. through a symbolic link. This is what the HTTP API accepts; Python callers of
    :func:`enrol_embeddings` may keep refs anywhere (their owner deletes those).
    """
    folder = image_root / person_id if image_root is not None else None
    checked = []
    for i, ref in enumerate(refs):
        name = ref.removeprefix(f"{person_id}/")
        problem = _not_a_plain_name(name)
        if problem is None and folder is not None and not (folder / name).resolve().is_relative_to(folder.resolve()):
            problem = "it resolves outside the gallery folder"
        if problem is None and len(person_id) + 1 + len(name) > MAX_IMAGE_REF:
            problem = f"it is longer than {MAX_IMAGE_REF - len(person_id) - 1} characters"
        if problem is not None:
            where = f"image_refs[{i}]: {ref[:60]!r} is not a plain file name in {person_id}'s gallery folder"
            raise ValueError(f"{where} ({problem}) — send the image's file name alone, e.g. 'front.jpg'")
        checked.append(f"{person_id}/{name}")
    return checked


def _not_a_plain_name(name: str) -> str | None:
    if name in ("", ".", ".."):
        return "it is empty, '.' or '..'"
    if "/" in name or "\\" in name:
        return "it has a path separator"
    if ":" in name:
        return "it has a ':' (a drive or stream name)"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it has a NUL or control character"
    return None


def erase_person(session: Session, person_id: str, *, actor: str, image_root: Path | None = None) -> Erasure:
    """Delete every embedding row, stored image and face-event evidence of ``person_id``; audited
    when anything was removed.

    An id that cannot have been enrolled (not a valid person id) removes nothing and touches no file.
    """
    try:
        _check_id(person_id)
    except ValueError:
        return Erasure(person_id, 0, 0, 0)
    folder = image_root / person_id if image_root is not None else None
    refs = person_image_refs(session, person_id)
    removed = session.execute(delete(FaceEmbedding).where(FaceEmbedding.person_id == person_id)).rowcount
    outside = sum(not _inside(ref, folder) for ref in refs)
    faces = select(SourceEvent.id).where(SourceEvent.source == "face", SourceEvent.asset_id == person_id)
    forgotten = evidence.forget(session, session.scalars(faces))
    files = _delete_folder(folder) if folder is not None else 0
    erasure = Erasure(person_id, removed, files, outside, forgotten.files, forgotten.events, forgotten.alert_media)
    if erasure.removed_anything:
        audit.append(
            session,
            actor=actor,
            action="face.erased",
            subject=f"asset:{person_id}",
            payload={
                "embeddings": removed,
                "image_files": files,
                "image_refs_outside": outside,
                "evidence_files": forgotten.files,
                "face_events_cleared": forgotten.events,
                "alert_media_removed": forgotten.alert_media,
            },
        )
    if outside:
        where = f"outside {folder}" if folder is not None else "(no image_root: no files are deleted)"
        log.info("erased %s; %d image refs %s were left to their owner", person_id, outside, where)
    return erasure


def enrolled_people(session: Session) -> list[EnrolledPerson]:
    """Everyone enrolled, in enrolment order."""
    query = (
        select(
            FaceEmbedding.person_id,
            func.count(),
            func.min(FaceEmbedding.created_at),
            func.max(FaceEmbedding.created_at),
        )
        .group_by(FaceEmbedding.person_id)
        .order_by(func.min(FaceEmbedding.id))
    )
    with_refs = select(FaceEmbedding.person_id, FaceEmbedding.image_ref).where(FaceEmbedding.image_ref.is_not(None))
    refs: dict[str, list[str]] = {}
    for pid, ref in session.execute(with_refs.order_by(FaceEmbedding.id)):
        refs.setdefault(pid, []).append(ref)
    return [EnrolledPerson(pid, n, refs.get(pid, []), first, last) for pid, n, first, last in session.execute(query)]


def gallery_rows(session: Session) -> tuple[np.ndarray, list[str]]:
    """All rows in enrolment order: (N, D) float32 unit vectors and the person id of each row."""
    rows = session.execute(
        select(FaceEmbedding.person_id, FaceEmbedding.dim, FaceEmbedding.vector).order_by(FaceEmbedding.id)
    ).all()
    if not rows:
        return np.zeros((0, 0), dtype=np.float32), []
    dim = rows[0].dim
    broken = [r.person_id for r in rows if r.dim != dim or len(r.vector) != dim * _FLOAT32.itemsize]
    if broken:
        raise ValueError(
            f"face_embeddings holds rows that are not {dim} float32 values (people: "
            f"{', '.join(sorted(set(broken)))}) — erase and re-enrol them"
        )
    matrix = np.frombuffer(b"".join(bytes(r.vector) for r in rows), dtype=_FLOAT32).reshape(len(rows), dim)
    return matrix.astype(np.float32), [r.person_id for r in rows]


def person_image_refs(session: Session, person_id: str) -> list[str]:
    query = select(FaceEmbedding.image_ref).where(
        FaceEmbedding.person_id == person_id, FaceEmbedding.image_ref.is_not(None)
    )
    return list(session.scalars(query.order_by(FaceEmbedding.id)))


def count_embeddings(session: Session, person_id: str) -> int:
    return session.scalar(select(func.count()).where(FaceEmbedding.person_id == person_id)) or 0


class DbGallery:
    """A :class:`~mineguard.faces.gallery.GalleryStore` on the platform's database.

    Args:
        sessions: a session factory on a migrated database (``storage.db.session_factory``).
        image_root: folder holding enrolment images in ``<image_root>/<person_id>/``; erasure
            deletes that folder. None: the platform stores no image files.
        actor: who the audit log names for :meth:`add` and :meth:`remove` (the protocol methods,
            which take no actor); :meth:`enrol` and :meth:`erase` name it per call.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, image_root: Path | None = None, actor: str = "system"
    ) -> None:
        self.sessions = sessions
        self.image_root = Path(image_root) if image_root is not None else None
        self.actor = actor

    @property
    def dim(self) -> int | None:
        """Embedding dimension ``D``, or None while empty."""
        with self.sessions() as session:
            return gallery_dim(session)

    def enrol(self, person_id: str, embeddings: np.ndarray, *, actor: str, image_refs: list[str] | None = None) -> int:
        """Add (k, D) or (D,) embeddings of ``person_id`` (audited as ``face.enrolled``); returns k."""
        with transaction(self.sessions) as session:
            return enrol_embeddings(
                session, person_id, embeddings, actor=actor, source=f"python:{actor}", image_refs=image_refs
            )

    def erase(self, person_id: str, *, actor: str) -> int:
        """Remove every embedding and stored image of ``person_id`` (audited as ``face.erased``); returns rows."""
        with transaction(self.sessions) as session:
            return erase_person(session, person_id, actor=actor, image_root=self.image_root).embeddings

    def add(self, person_id: str, embeddings: np.ndarray, *, image_refs: list[str] | None = None) -> int:
        return self.enrol(person_id, embeddings, actor=self.actor, image_refs=image_refs)

    def remove(self, person_id: str) -> int:
        return self.erase(person_id, actor=self.actor)

    def people(self) -> list[str]:
        with self.sessions() as session:
            return [person.person_id for person in enrolled_people(session)]

    def embeddings(self) -> tuple[np.ndarray, list[str]]:
        with self.sessions() as session:
            return gallery_rows(session)

    def image_refs(self, person_id: str) -> list[str]:
        with self.sessions() as session:
            return person_image_refs(session, person_id)

    def count(self, person_id: str) -> int:
        with self.sessions() as session:
            return count_embeddings(session, person_id)


def _check_id(person_id: str) -> None:
    check_person_id(person_id)
    if len(person_id) > MAX_PERSON_ID:
        raise ValueError(f"person id {person_id[:20]!r}... is {len(person_id)} characters — at most {MAX_PERSON_ID}")


def _inside(ref: str, folder: Path | None) -> bool:
    """Whether image ref ``ref`` (relative to the image root, or absolute) names a file in ``folder``."""
    if folder is None:
        return False
    return (folder.parent / ref).resolve().is_relative_to(folder.resolve())


def _delete_folder(folder: Path) -> int:
    """Delete ``folder`` and everything in it; returns the files deleted (0 when it does not exist)."""
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
        return 1
    if not folder.is_dir():
        return 0
    files = sum(1 for path in folder.rglob("*") if not path.is_dir())
    shutil.rmtree(folder)
    return files
