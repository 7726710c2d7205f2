"""Served model versions (``services/model_store``): listed by managers, changed by the super-manager.

``POST /api/v1/models/{kind}/versions`` adds a version (the file base64 in JSON, with its training
data and metrics; a file that does not load as its kind answers 422 naming the file and the fix, a
file already added 409 naming its version); ``promote`` makes a version the one that serves,
``rollback`` goes back to the version active before (or a named one). Every change is in the audit
log; the running service serves the new active version from the risk job's next round, without a
restart (``services/alerts/served_models.py``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import Unit, UnitDep, db_id, require
from mineguard.services.api.errors import ApiError, FieldProblem
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.models import (
    ModelChangeIn,
    ModelVersionIn,
    ModelVersionOut,
    RollbackIn,
    ServingOut,
)
from mineguard.services.model_store import store
from mineguard.services.model_store.kinds import model_kinds
from mineguard.services.storage.models import ModelVersion, User
from mineguard.services.storage.types import utc_now

router = APIRouter(prefix="/api/v1/models", tags=["models"])
Viewer = require(Permission.VIEW_MODELS)
Super = require(Permission.MANAGE_MODELS)
Kind = Annotated[str, Path(min_length=1, max_length=32, description="a model kind (GET /api/v1/models lists them)")]
VersionNumber = db_id(ModelVersion.version)


def _kind(kind: str) -> str:
    if kind not in model_kinds():
        raise ApiError(404, f"no model kind {kind!r} — the kinds are: {', '.join(model_kinds())}")
    return kind


def _out(row: ModelVersion, active: dict[str, int]) -> ModelVersionOut:
    fields = {name: getattr(row, name) for name in ModelVersionOut.model_fields if name != "active"}
    return ModelVersionOut(**fields, active=active.get(row.kind) == row.id)


@router.get("", response_model=list[ModelVersionOut], summary="(manager) the site's model versions, newest first")
def list_models(
    unit: UnitDep,
    kind: Annotated[str | None, Query(max_length=32, description="only this kind")] = None,
    user: User = Viewer,
) -> list[ModelVersionOut]:
    active = store.active_ids(unit.session, unit.ctx.site_id)
    return [_out(row, active) for row in store.versions(unit.session, unit.ctx.site_id, kind)]


@router.get(
    "/serving",
    response_model=list[ServingOut],
    summary="(manager) what the running service judges with now, per model kind (fall-back included)",
)
@raises(503)
def serving(unit: UnitDep, user: User = Viewer) -> list[ServingOut]:
    served = unit.ctx.served
    if served is None:
        raise ApiError(503, "the background services are not running — start the service (`mineguard serve`)")
    out = []
    for kind in model_kinds():
        now = served.get(kind)
        name = getattr(getattr(now.model, "primary", now.model), "name", kind)
        out.append(
            ServingOut(kind=kind, label=now.label, version=now.version, model=name, load_problem=now.load_problem)
        )
    return out


@router.get("/{kind}/versions/{version}", response_model=ModelVersionOut, summary="(manager) one model version")
def get_model(kind: Kind, version: VersionNumber, unit: UnitDep, user: User = Viewer) -> ModelVersionOut:
    try:
        row = store.get_version(unit.session, unit.ctx.site_id, _kind(kind), version)
    except store.NoSuchVersion as exc:
        raise ApiError(404, str(exc)) from None
    return _out(row, store.active_ids(unit.session, unit.ctx.site_id))


@router.post(
    "/{kind}/versions",
    response_model=ModelVersionOut,
    status_code=201,
    summary="(super-manager) add a model version (not serving until promoted); audited",
)
@raises(409)
def add_model(kind: Kind, body: ModelVersionIn, unit: UnitDep, user: User = Super) -> ModelVersionOut:
    _kind(kind)
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        message = "not base64 — send the model file's bytes base64-encoded (standard alphabet, with padding)"
        raise ApiError(
            422,
            f"content_base64: {message}",
            [f"content_base64: {message}"],
            details=[FieldProblem.of(("body", "content_base64"), message)],
        ) from None
    try:
        training = None
        if body.training_data is not None:
            training = store.TrainingData.described(body.training_data, body.training_data_sha256)
        row = store.add(
            unit.session,
            unit.ctx.site_id,
            kind,
            data,
            filename=body.filename,
            actor=user.username,
            now=utc_now(),
            training_data=training,
            metrics=body.metrics,
            note=body.note,
        )
    except store.ModelConflict as exc:
        raise ApiError(409, str(exc)) from None
    except store.ModelStoreError as exc:
        raise ApiError(422, str(exc), [str(exc)], details=[FieldProblem.of(("body",), str(exc))]) from None
    return _out(row, store.active_ids(unit.session, unit.ctx.site_id))


@router.post("/{kind}/promote", response_model=ModelVersionOut, summary="(super-manager) make a version serve; audited")
@raises(409)
def promote_model(kind: Kind, body: ModelChangeIn, unit: UnitDep, user: User = Super) -> ModelVersionOut:
    return _change(
        unit,
        lambda: store.promote(
            unit.session,
            unit.ctx.site_id,
            _kind(kind),
            body.version,
            actor=user.username,
            now=utc_now(),
            reason=body.reason,
        ),
    )


@router.post(
    "/{kind}/rollback",
    response_model=ModelVersionOut,
    summary="(super-manager) go back to the version active before, or a named one; audited",
)
@raises(409)
def rollback_model(kind: Kind, body: RollbackIn, unit: UnitDep, user: User = Super) -> ModelVersionOut:
    return _change(
        unit,
        lambda: store.rollback(
            unit.session,
            unit.ctx.site_id,
            _kind(kind),
            actor=user.username,
            now=utc_now(),
            to=body.version,
            reason=body.reason,
        ),
    )


def _change(unit: Unit, do: Callable[[], ModelVersion]) -> ModelVersionOut:
    """Run a promote or rollback: 404 for an unknown version, 409 for nothing to change."""
    try:
        row = do()
    except store.NoSuchVersion as exc:
        raise ApiError(404, str(exc)) from None
    except store.ModelConflict as exc:
        raise ApiError(409, str(exc)) from None
    return _out(row, store.active_ids(unit.session, unit.ctx.site_id))
