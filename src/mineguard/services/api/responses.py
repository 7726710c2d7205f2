"""The error answers of each route, in the OpenAPI document, derived from what the route depends on.

A client generated from ``/openapi.json`` should know every status a route can answer. Most of
them follow from the route's shape, so they are derived rather than listed by hand:

- a dependency that checks a login or a gateway secret answers 401, a role or scope check 403
  (dependencies say so with :func:`raises`);
- a path parameter can name nothing (404) and any parameter or body can be malformed (422);
- a route that takes a body can be sent one over the size limit (413).

What only the endpoint knows (409 on a state conflict, 429 when throttled) it declares with
:func:`raises` too. Every error body has the one shape of :class:`ErrorOut`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.utils import create_model_field
from pydantic import BaseModel, Field

F = TypeVar("F", bound=Callable)

DESCRIPTIONS = {
    401: "not logged in, or the token or gateway secret is unknown, revoked or expired — log in again",
    403: "logged in, but this role (or this crew's scope) may not do this — the message names who may",
    404: "nothing with this id — the message says where to list what exists",
    409: "conflicts with the current state (e.g. an alert already resolved, a name already taken)",
    413: "request body over the size limit (MINEGUARD_MAX_BODY_BYTES) — send less at a time",
    422: "the request is not valid — `problems` names each field and the fix, `details` the same with a path",
    429: "too many attempts — wait for the seconds in the Retry-After header",
    503: "the service is up but not healthy (e.g. ingest is stuck), or the database cannot be reached (then "
    "nothing was stored: send the same request again after the Retry-After seconds) — the body says why",
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ATTRIBUTE = "__mineguard_error_statuses__"


class FieldProblemOut(BaseModel):
    loc: list[str | int] = Field(description='path to the field: keys and list positions, ["rules", "thresholds", 0]')
    field: str = Field(description="the same path written rules.thresholds[0] ('body': the whole body)")
    message: str = Field(description="what is wrong with it")
    fix: str | None = Field(description="what to do about it")


class ErrorDetail(BaseModel):
    status: int = Field(description="the HTTP status again")
    message: str = Field(description="what went wrong and what to do about it")
    problems: list[str] = Field(description="one line per invalid field (422), else empty")
    details: list[FieldProblemOut] = Field(
        default_factory=list, description="the problems of `problems` for a program: each field's path, message, fix"
    )


class ErrorOut(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


def raises(*statuses: int) -> Callable[[F], F]:
    """Mark an endpoint or dependency as answering ``statuses``; returns the function unchanged."""
    unknown = set(statuses) - DESCRIPTIONS.keys()
    if unknown:
        raise ValueError(f"no description for status {sorted(unknown)} — add it to DESCRIPTIONS")

    def mark(function: F) -> F:
        setattr(function, _ATTRIBUTE, frozenset(getattr(function, _ATTRIBUTE, frozenset())) | frozenset(statuses))
        return function

    return mark


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def error_statuses(route: APIRoute) -> set[int]:
    """The error statuses ``route`` can answer (see the module docstring)."""
    statuses: set[int] = set()
    for dependant in _dependants(route.dependant):
        statuses |= getattr(dependant.call, _ATTRIBUTE, frozenset())
        if dependant.path_params:
            statuses |= {404, 422}
        if dependant.query_params or dependant.header_params or dependant.cookie_params or dependant.body_params:
            statuses.add(422)
    if route.methods & BODY_METHODS:
        statuses |= {413, 422}
    if route.openapi_extra and "requestBody" in route.openapi_extra:
        statuses.add(422)  # a raw body parsed by the endpoint itself
    return statuses


def declare_error_responses(router: APIRouter) -> None:
    """Add the error answers of each route of ``router`` (with the :class:`ErrorOut` body) to its
    OpenAPI responses; a description the route already gives is kept. Call it before the router is
    included in the app (inclusion copies what the routes declare)."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        for status in sorted(error_statuses(route)):
            declared = route.responses.setdefault(status, {})
            declared.setdefault("description", DESCRIPTIONS[status])
            if "model" not in declared:
                declared["model"] = ErrorOut
                route.response_fields[status] = create_model_field(
                    name=f"Response_{status}_{route.unique_id}", type_=ErrorOut, mode="serialization"
                )
