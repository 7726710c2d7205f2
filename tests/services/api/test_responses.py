"""Error answers derived from a route's shape and dependencies (services/api/responses.py)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from mineguard.services.api.responses import declare_error_responses, error_statuses, raises


@raises(401)
def logged_in() -> str:
    return "someone"


class Body(BaseModel):
    x: int


def _router() -> APIRouter:
    router = APIRouter()

    @router.get("/plain")
    def plain() -> dict:
        return {}

    @router.get("/things/{thing_id}")
    def thing(thing_id: str, who: Annotated[str, Depends(logged_in)]) -> dict:
        return {}

    @router.post("/things")
    @raises(409)
    def add(body: Body) -> dict:
        return {}

    return router


def _statuses(router: APIRouter) -> dict[str, set[int]]:
    return {route.path: error_statuses(route) for route in router.routes}


def test_statuses_follow_shape_and_marks():
    statuses = _statuses(_router())
    assert statuses["/plain"] == set()
    assert statuses["/things/{thing_id}"] == {401, 404, 422}
    assert statuses["/things"] == {409, 413, 422}


def test_declared_in_openapi_with_the_error_body():
    router = _router()
    declare_error_responses(router)
    app = FastAPI()
    app.include_router(router)
    spec = app.openapi()
    answers = spec["paths"]["/things/{thing_id}"]["get"]["responses"]
    assert set(answers) == {"200", "401", "404", "422"}
    assert answers["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert set(spec["paths"]["/plain"]["get"]["responses"]) == {"200"}


def test_declaring_twice_changes_nothing():
    router = _router()
    declare_error_responses(router)
    first = {route.path: dict(route.responses) for route in router.routes}
    declare_error_responses(router)
    assert {route.path: dict(route.responses) for route in router.routes} == first


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="no description for status"):
        raises(418)
