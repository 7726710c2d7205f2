"""The face gallery (issue #5): enrolment, the people, the gallery export, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StrictFloat

from mineguard.services.api.schemas.common import In, Out

MAX_FACE_EMBEDDINGS = 50  # per request


FaceVector = Annotated[list[StrictFloat], Field(min_length=1, max_length=4096)]  # NaN/inf: prepare_embeddings says


FaceImageRef = Annotated[str, Field(min_length=1, max_length=300)]


class FaceEmbeddingsIn(In):
    embeddings: list[FaceVector] = Field(
        min_length=1, max_length=MAX_FACE_EMBEDDINGS, description="(k, D) embeddings; L2-normalised on arrival"
    )
    image_refs: list[FaceImageRef] | None = Field(
        default=None, max_length=MAX_FACE_EMBEDDINGS, description="one per embedding: the image it came from"
    )


class FaceEnrolmentOut(Out):
    person_id: str
    added: int
    embeddings: int = Field(description="the person's embeddings after this enrolment")
    dim: int


class FacePersonOut(Out):
    person_id: str
    embeddings: int
    image_refs: list[str]
    first_enrolled_at: datetime
    last_enrolled_at: datetime


class FacePeopleOut(Out):
    dim: int | None = Field(description="embedding dimension D; null while nobody is enrolled")
    people: list[FacePersonOut]


class FaceGalleryOut(Out):
    dim: int | None = Field(description="embedding dimension D; null while nobody is enrolled")
    people: list[str] = Field(description="person id of each row of embeddings")
    embeddings: list[list[float]] = Field(description="(N, D) unit vectors (float32 values); cosine = dot product")


class FaceErasureOut(Out):
    erased: int = Field(description="embeddings removed")
    image_files: int = Field(description="stored enrolment images deleted")
    evidence_files: int = Field(description="face crops, snapshots and clips of the person's face events deleted")
    events_cleared: int = Field(description="face events of the person whose evidence pointers were removed")
