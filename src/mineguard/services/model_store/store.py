"""Versions of served models in the database: add, list, promote, roll back, load — each change audited.

A version is a model file of a registered kind (:mod:`.kinds`) added for a site with what it was
made from: its training data (a description and its SHA-256), the code version, its metrics, when
and by whom. The file's bytes are stored once by their SHA-256 in ``model_artifacts`` (as camera
evidence is, ``services/evidence/store.py``, but never pruned: a version must stay loadable for a
rollback); adding refuses a file that does not load as its kind, naming the file and the fix, and a
file already added for that kind and site, naming its version.

One version per (kind, site) is active (a row of ``active_models``): :func:`promote` makes a version
active and remembers the one it replaces; :func:`rollback` goes back to that one (and on, one step
per call) or to a named version. ``model.added``, ``model.promoted`` and ``model.rolled_back`` go to
the audit log in the caller's transaction. The running service reads :func:`active` each round
(``services/alerts/served_models.py``).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mineguard import __version__
from mineguard.services.audit import log as audit
from mineguard.services.model_store.kinds import ArtefactFacts, ModelKind, get_model_kind
from mineguard.services.storage.models import ActiveModel, ModelArtifact, ModelVersion

SHA256 = re.compile(r"^[0-9a-f]{64}$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ModelStoreError(ValueError):
    """A request the registry refuses; the message says what is wrong and what to do."""


class ModelConflict(ModelStoreError):
    """Conflicts with what is stored: the file is already a version, the version is already active."""


class NoSuchVersion(KeyError):
    """No such version of the kind at the site; the message says how to list them."""

    def __str__(self) -> str:
        return str(self.args[0])


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_path(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder: each file's relative path and bytes, in sorted order."""
    if path.is_file():
        return sha256_of(path.read_bytes())
    if not path.is_dir():
        raise ModelStoreError(f"{path}: no such file or folder — name the training data that exists")
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(item.relative_to(path).as_posix().encode() + b"\0")
        digest.update(sha256_of(item.read_bytes()).encode())
    return digest.hexdigest()


def code_version() -> str:
    """``mineguard <version>``, plus ``git <commit>`` when the code runs from a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        commit = done.stdout.strip() if done.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"mineguard {__version__}" + (f" git {commit}" if commit else "")


def load_bytes(kind: ModelKind, data: bytes, filename: str) -> Any:
    """Load ``data`` as a model of ``kind`` (through a temporary file); ModelStoreError naming ``filename``."""
    name = SAFE_NAME.sub("_", Path(filename).name) or "model"
    if not name.endswith(kind.suffix):
        raise ModelStoreError(f"{filename}: a {kind.label} file ends in {kind.suffix} — {kind.hint}")
    if not data:
        raise ModelStoreError(f"{filename}: empty file — {kind.hint}")
    with tempfile.TemporaryDirectory(prefix="mineguard-model-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return kind.load(path)
        except ValueError as exc:
            why = str(exc).replace(str(path), "").lstrip(": ")
            fix = "" if " — " in why else f" — {kind.hint}"
            raise ModelStoreError(f"{filename}: does not load as a {kind.label}: {why}{fix}") from None


@dataclass(frozen=True)
class TrainingData:
    """What a model was trained on: a description and the SHA-256 of the data (of the description
    itself when the data is not a file, e.g. simulated with a seed)."""

    description: str
    sha256: str

    @classmethod
    def described(cls, description: str, sha256: str | None = None) -> TrainingData:
        text = description.strip()
        if not text:
            raise ModelStoreError("training data: say what the model was trained on (a path or a description)")
        digest = (sha256 or sha256_of(text.encode())).lower()
        if not SHA256.match(digest):
            raise ModelStoreError(f"training data sha256 {sha256!r}: 64 hex digits — or leave it out")
        return cls(text, digest)


def versions(session: Session, site_id: str, kind: str | None = None) -> list[ModelVersion]:
    """Every version at the site (of one kind, or all), newest first."""
    query = select(ModelVersion).where(ModelVersion.site_id == site_id)
    if kind is not None:
        query = query.where(ModelVersion.kind == kind)
    return list(session.scalars(query.order_by(ModelVersion.kind, ModelVersion.version.desc())))


def active_ids(session: Session, site_id: str) -> dict[str, int]:
    """kind -> id of its active version at the site."""
    rows = session.execute(select(ActiveModel.kind, ActiveModel.version_id).where(ActiveModel.site_id == site_id))
    return {kind: version_id for kind, version_id in rows}


def active(session: Session, site_id: str, kind: str) -> ModelVersion | None:
    row = session.get(ActiveModel, (kind, site_id))
    return None if row is None else session.get(ModelVersion, row.version_id)


def get_version(session: Session, site_id: str, kind: str, version: int) -> ModelVersion:
    row = session.scalar(
        select(ModelVersion).where(
            ModelVersion.site_id == site_id, ModelVersion.kind == kind, ModelVersion.version == version
        )
    )
    if row is None:
        raise NoSuchVersion(f"no {kind} model version {version} at site {site_id} — `mineguard models list` shows them")
    return row


def artefact(session: Session, row: ModelVersion) -> bytes:
    stored = session.get(ModelArtifact, row.sha256)
    if stored is None:  # the foreign key keeps it; only a hand-edited database lacks it
        raise ModelStoreError(f"{row.kind} v{row.version}: its file {row.sha256[:12]} is missing from model_artifacts")
    return stored.data


def load_version(session: Session, row: ModelVersion) -> Any:
    """The model of a stored version; ModelStoreError when it no longer loads (e.g. a newer code version)."""
    return load_bytes(get_model_kind(row.kind), artefact(session, row), row.filename)


def add(
    session: Session,
    site_id: str,
    kind_name: str,
    data: bytes,
    *,
    filename: str,
    actor: str,
    now: datetime,
    training_data: TrainingData | None = None,
    metrics: dict[str, float] | None = None,
    code: str | None = None,
    note: str | None = None,
) -> ModelVersion:
    """Check and store a new version (not active until promoted); audited as ``model.added``.

    Training data and metrics the caller leaves out come from the file itself where it records them
    (a learned risk model does); training data found nowhere is refused.
    """
    kind = get_model_kind(kind_name)
    model = load_bytes(kind, data, filename)
    facts: ArtefactFacts = kind.facts(model)
    if training_data is None:
        if facts.training_data is None:
            raise ModelStoreError(
                f"{filename}: the file does not say what it was trained on — name the training data "
                "(--data PATH or --data-description TEXT; in the API, training_data)"
            )
        training_data = TrainingData.described(facts.training_data)
    digest = sha256_of(data)
    same = session.scalar(
        select(ModelVersion).where(
            ModelVersion.site_id == site_id, ModelVersion.kind == kind.name, ModelVersion.sha256 == digest
        )
    )
    if same is not None:
        raise ModelConflict(
            f"{filename}: this file ({digest[:12]}) is already {kind.name} version {same.version} at site {site_id} — "
            f"promote that version (`mineguard models promote {kind.name} {same.version}`)"
        )
    if session.get(ModelArtifact, digest) is None:
        session.add(ModelArtifact(sha256=digest, size=len(data), data=data, created_at=now))
    number = (
        session.scalar(
            select(func.max(ModelVersion.version)).where(
                ModelVersion.site_id == site_id, ModelVersion.kind == kind.name
            )
        )
        or 0
    ) + 1
    row = ModelVersion(
        kind=kind.name,
        site_id=site_id,
        version=number,
        sha256=digest,
        filename=Path(filename).name[:200],
        training_data=training_data.description,
        training_data_sha256=training_data.sha256,
        code_version=(code or code_version())[:100],
        metrics=dict(metrics) if metrics is not None else facts.metrics,
        note=note,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="model.added",
        subject=f"site:{site_id}:model:{kind.name}",
        payload={"version": number, "sha256": digest, **describe(row)},
    )
    return row


def describe(row: ModelVersion) -> dict[str, Any]:
    """A version's record, for the audit log and the CLI."""
    return {
        "kind": row.kind,
        "version": row.version,
        "file": row.filename,
        "sha256": row.sha256,
        "training_data": row.training_data,
        "training_data_sha256": row.training_data_sha256,
        "code_version": row.code_version,
        "metrics": row.metrics,
        "note": row.note,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def _activate(session: Session, site_id: str, row: ModelVersion, *, actor: str, now: datetime) -> ModelVersion | None:
    """Make ``row`` the active version; the one it replaces (or None)."""
    current = session.get(ActiveModel, (row.kind, site_id))
    before = None if current is None else session.get(ModelVersion, current.version_id)
    if current is None:
        session.add(
            ActiveModel(kind=row.kind, site_id=site_id, version_id=row.id, activated_by=actor, activated_at=now)
        )
    else:
        current.version_id, current.activated_by, current.activated_at = row.id, actor, now
    session.flush()
    return before


def promote(
    session: Session, site_id: str, kind: str, version: int, *, actor: str, now: datetime, reason: str | None = None
) -> ModelVersion:
    """Make ``version`` the active one; audited as ``model.promoted``. ModelConflict when it already is."""
    get_model_kind(kind)
    row = get_version(session, site_id, kind, version)
    current = active(session, site_id, kind)
    if current is not None and current.id == row.id:
        raise ModelConflict(f"{kind} version {version} is already active at site {site_id}")
    before = _activate(session, site_id, row, actor=actor, now=now)
    row.previous_id = None if before is None else before.id
    _audit_change(session, "model.promoted", site_id, kind, before, row, actor=actor, reason=reason)
    return row


def rollback(
    session: Session,
    site_id: str,
    kind: str,
    *,
    actor: str,
    now: datetime,
    to: int | None = None,
    reason: str | None = None,
) -> ModelVersion:
    """Go back to version ``to``, or to the version active before the current one was promoted;
    audited as ``model.rolled_back``. ModelConflict when there is nothing to go back to."""
    get_model_kind(kind)
    current = active(session, site_id, kind)
    if current is None:
        raise ModelConflict(f"no {kind} model version is active at site {site_id} — nothing to roll back")
    if to is not None:
        target = get_version(session, site_id, kind, to)
        if target.id == current.id:
            raise ModelConflict(f"{kind} version {to} is already active at site {site_id}")
    elif current.previous_id is None:
        raise ModelConflict(
            f"{kind} version {current.version} was the first active one at site {site_id} — name the version to "
            f"go back to (`mineguard models rollback {kind} --to N`)"
        )
    else:
        target = session.get(ModelVersion, current.previous_id)
        assert target is not None  # a foreign key
    _activate(session, site_id, target, actor=actor, now=now)
    _audit_change(session, "model.rolled_back", site_id, kind, current, target, actor=actor, reason=reason)
    return target


def _audit_change(
    session: Session,
    action: str,
    site_id: str,
    kind: str,
    before: ModelVersion | None,
    after: ModelVersion,
    *,
    actor: str,
    reason: str | None,
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        subject=f"site:{site_id}:model:{kind}",
        payload={
            "version": {"from": None if before is None else before.version, "to": after.version},
            "sha256": after.sha256,
            "reason": reason,
        },
    )
