"""Camera evidence: ``POST /api/v1/evidence`` stores a snapshot or clip by content hash (a
registered gateway — the camera box — or a manager), ``GET /api/v1/evidence/{sha256}`` gives it
back to every role that sees alerts. See ``services/evidence/store.py``.

The body is the file itself (``image/jpeg``, ``image/png`` or ``video/mp4``, recognised by its
first bytes), within the service's body limit (``MINEGUARD_MAX_BODY_BYTES``). Evidence of a
person identified by face (issue 16) will need the person's scope; camera evidence today names
no person.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from mineguard.mine.roles import Permission
from mineguard.services.api.batches import raw_body
from mineguard.services.api.deps import SenderDep, UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.schemas.evidence import EvidenceOut
from mineguard.services.evidence import store
from mineguard.services.storage.models import User
from mineguard.services.storage.types import utc_now

router = APIRouter(prefix="/api/v1/evidence", tags=["evidence"])

MEDIA_TYPES = ("image/jpeg", "image/png", "video/mp4")  # what store.put recognises by the first bytes
FILE = {"type": "string", "format": "binary"}
Sha = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the file, 64 hex digits")]


@router.post(
    "",
    response_model=EvidenceOut,
    summary="(gateway or manager) store a snapshot or clip; answers its content hash",
    responses={422: {"description": "not a JPEG, PNG or MP4 file, or empty"}},
    openapi_extra={"requestBody": {"required": True, "content": {media: {"schema": FILE} for media in MEDIA_TYPES}}},
)
def post_evidence(body: Annotated[bytes, Depends(raw_body)], unit: UnitDep, sender: SenderDep) -> Any:
    try:
        stored = store.put(unit.session, body, sender=sender.source, now=utc_now())
    except store.EvidenceError as exc:
        raise ApiError(422, f"evidence refused: {exc}") from exc
    return EvidenceOut(
        sha256=stored.sha256,
        media_type=stored.media_type,
        size=stored.size,
        url=f"/api/v1/evidence/{stored.sha256}",
        created=stored.created,
    )


@router.get(
    "/{sha256}",
    summary="A stored snapshot or clip",
    response_class=Response,
    responses={
        200: {"content": {media: {"schema": FILE} for media in MEDIA_TYPES}},
        404: {"description": "no such evidence"},
    },
)
def get_evidence(sha256: Sha, unit: UnitDep, user: User = require(Permission.VIEW_MAP)) -> Response:
    found = store.get(unit.session, sha256)
    if found is None:
        raise ApiError(404, f"no evidence {sha256.lower()} (never stored, or past its retention)")
    return Response(
        content=found.data,
        media_type=found.media_type,
        headers={"Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"},
    )
