"""Served model versions (``services/model_store``): read by managers, changed by the super-manager."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictInt

from mineguard.services.api.schemas.common import In, Number, Out


class ModelVersionOut(Out):
    kind: str = Field(description="the model kind (risk, ...)")
    version: int = Field(description="1, 2, ... per kind and site")
    active: bool = Field(description="whether this version serves now")
    filename: str = Field(description="the file's name when it was added")
    sha256: str = Field(description="SHA-256 of the model file (stored once by it)")
    training_data: str = Field(description="what the model was trained on")
    training_data_sha256: str = Field(
        description="SHA-256 of the training data (of its description when it has no file)"
    )
    code_version: str = Field(description="mineguard version and git commit that added it")
    metrics: dict[str, float] = Field(description="the model's figures (validation loss, coverage, ...)")
    note: str | None
    created_by: str
    created_at: datetime


class ModelVersionIn(In):
    """A new version: the model file itself, base64-encoded, and what it was made from."""

    filename: str = Field(
        min_length=1, max_length=200, description="the file's name; its ending must fit the kind (.pt)"
    )
    content_base64: str = Field(min_length=1, description="the model file's bytes, base64 (standard alphabet)")
    training_data: str | None = Field(
        None, max_length=2000, description="what it was trained on; left out: what the file itself records"
    )
    training_data_sha256: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the training data; left out: of the description"
    )
    metrics: dict[str, Number] | None = Field(None, description="figures to record; left out: what the file records")
    note: str | None = Field(None, max_length=500, description="why this version, for the record")


class ModelChangeIn(In):
    version: StrictInt = Field(ge=1, le=2**31 - 1, description="the version to make active")
    reason: str | None = Field(None, max_length=500, description="why, for the audit log")


class RollbackIn(In):
    version: StrictInt | None = Field(
        None, ge=1, le=2**31 - 1, description="the version to go back to; left out: the one active before the current"
    )
    reason: str | None = Field(None, max_length=500, description="why, for the audit log")


class ServingOut(Out):
    kind: str = Field(description="the model kind")
    label: str = Field(description="what serves: `risk v3`, `risk default (trend)` or `risk v3 (fall-back: trend)`")
    version: int | None = Field(description="the active version (null: no active version, the setting serves)")
    model: str = Field(description="the model's name (learned, trend, ...)")
    load_problem: str | None = Field(description="why the active version does not load (then the fall-back serves)")
