"""The face gallery: enrol miners' face embeddings, hand the gallery to gate terminals, erase a person.

Embeddings are computed where the face is seen (an enrolment station, a face terminal at a gate)
and only vectors travel: ``POST /api/v1/faces/{person_id}/embeddings`` takes at most 50 per call
for a person asset of the site, checked and normalised as the ML core does
(``mineguard.faces.gallery.prepare_embeddings``), and refused with 409 when a face scores at least
``MINEGUARD_FACE_ACCEPT_THRESHOLD`` against another person (``duplicate_identity``) or the same photo
is enrolled already (``already_enrolled``); nothing of the call is stored then. Photos are checked
for one face, darkness, blur and size where they are taken (``mineguard face enrol``): only
vectors reach the platform. ``GET /api/v1/faces/gallery`` gives a
registered gateway (``X-Gateway-Id`` + ``X-Gateway-Secret``) or a manager every row, so a
terminal identifies locally with ``mineguard.faces.identify.Identifier``.
Each of the optional ``image_refs`` names one file of the person's gallery folder: a plain file name
(``front.jpg``, or ``<person_id>/front.jpg``), stored as ``<person_id>/front.jpg``; a path out of the
folder (``../x``, ``/etc/passwd``, a separator, NUL) is a 422.
``DELETE /api/v1/faces/{person_id}`` (super-manager) erases every embedding of the person, their
stored images (``MINEGUARD_FACE_IMAGES_DIR/<person_id>/``) and the evidence (face crops,
snapshots, clips) of every face event that identified them, with the pointers to it in events and
alerts (``services/identity/store.erase_person``); 404 when there was nothing of theirs. Enrolment and erasure are in
the audit log (``face.enrolled``, ``face.erased``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from mineguard.faces.errors import FaceImageError
from mineguard.mine.roles import Permission
from mineguard.services.api.deps import Sender, UnitDep, gateway_or_manager_to, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.faces import (
    FaceEmbeddingsIn,
    FaceEnrolmentOut,
    FaceErasureOut,
    FaceGalleryOut,
    FacePeopleOut,
    FacePersonOut,
)
from mineguard.services.identity.store import (
    count_embeddings,
    enrol_embeddings,
    enrolled_people,
    erase_person,
    gallery_dim,
    gallery_image_refs,
    gallery_rows,
)
from mineguard.services.storage.models import Asset, User

router = APIRouter(prefix="/api/v1/faces", tags=["faces"])
GalleryReader = Annotated[Sender, Depends(gateway_or_manager_to("fetch the face gallery"))]


@router.get("", response_model=FacePeopleOut, summary="(manager) people enrolled, with their embedding counts")
def list_enrolled(unit: UnitDep, user: User = require(Permission.VIEW_ALL_STAFF)) -> FacePeopleOut:
    people = [FacePersonOut.model_validate(person) for person in enrolled_people(unit.session)]
    return FacePeopleOut(dim=gallery_dim(unit.session), people=people)


@router.get(
    "/gallery",
    response_model=FaceGalleryOut,
    summary="(face terminal or manager) every embedding and whose it is, to identify at the gate",
)
def get_gallery(unit: UnitDep, sender: GalleryReader) -> FaceGalleryOut:
    rows, people = gallery_rows(unit.session)
    return FaceGalleryOut(dim=rows.shape[1] if people else None, people=people, embeddings=rows.tolist())


@router.post(
    "/{person_id}/embeddings",
    response_model=FaceEnrolmentOut,
    status_code=201,
    summary="(manager) enrol a person's face embeddings (at most 50 per call)",
    responses={
        404: {"description": "not a person of this site"},
        422: {"description": "wrong dimension, NaN/infinite or all-zero embeddings"},
    },
)
@raises(409)  # duplicate_identity: the face is another person's; already_enrolled: the same photo is in
def enrol(
    person_id: str, body: FaceEmbeddingsIn, unit: UnitDep, user: User = require(Permission.MANAGE_DEVICES)
) -> FaceEnrolmentOut:
    asset = unit.session.get(Asset, person_id)
    if asset is None or asset.kind != "person" or asset.site_id != unit.ctx.site_id:
        raise ApiError(
            404,
            f"{person_id!r} is not a person on this site — enrol someone listed at "
            "GET /api/v1/assets with kind 'person'",
        )
    lengths = sorted({len(vector) for vector in body.embeddings})
    if len(lengths) > 1:
        raise ApiError(422, f"embeddings have different lengths {lengths} — every one needs the gallery's dimension")
    try:
        refs = body.image_refs and gallery_image_refs(person_id, body.image_refs, unit.ctx.settings.face_images_dir)
        source = f"http:user:{user.username}"
        added = enrol_embeddings(
            unit.session,
            person_id,
            body.embeddings,
            actor=user.username,
            source=source,
            image_refs=refs,
            threshold=unit.ctx.settings.face_accept_threshold,
        )
    except FaceImageError as exc:  # a duplicate: the face is someone else's, or the photo is in already
        raise ApiError(409, f"{exc.reason}: {exc}") from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return FaceEnrolmentOut(
        person_id=person_id, added=added, embeddings=count_embeddings(unit.session, person_id), dim=lengths[0]
    )


@router.delete(
    "/{person_id}",
    response_model=FaceErasureOut,
    summary="(super-manager) erase a person's face data: every embedding and stored image",
    responses={404: {"description": "nothing enrolled and no face evidence for this person"}},
)
def erase(person_id: str, unit: UnitDep, user: User = require(Permission.MANAGE_USERS)) -> FaceErasureOut:
    erasure = erase_person(unit.session, person_id, actor=user.username, image_root=unit.ctx.settings.face_images_dir)
    if not erasure.removed_anything:
        raise ApiError(
            404,
            f"nothing enrolled and no face evidence for {person_id!r} — "
            "enrolled people are listed at GET /api/v1/faces",
        )
    return FaceErasureOut(
        erased=erasure.embeddings,
        image_files=erasure.image_files,
        evidence_files=erasure.evidence_files,
        events_cleared=erasure.events_cleared,
    )
