"""How callers authenticate, as OpenAPI security schemes, and which of them each operation accepts.

The schemes are the objects the dependencies read their credentials through, so the OpenAPI
document and the code cannot drift apart:

- ``userToken``: ``Authorization: Bearer <token>`` from ``POST /api/v1/auth/token``, a person
  (the role then decides what they may do);
- ``gatewayId`` + ``gatewaySecret``: the ``X-Gateway-Id`` and ``X-Gateway-Secret`` headers of a
  registered gateway (a camera box, a tag reader, a face terminal), sent together;
- ``gatewaySecret`` alone on the routes under ``/api/v1/gateways/{gateway_id}/``, where the path
  names the gateway.

A dependency that authenticates says which combinations it accepts with :func:`accepts` (the
alternatives, each a tuple of schemes sent together). :func:`operation_security` walks a route's
dependencies, takes each marked dependency (not what it calls) and every scheme read outside one,
and combines them; :func:`declare_security` writes the result into the app's OpenAPI document.
FastAPI alone would list every scheme an operation reads as a lone alternative (saying that an
``X-Gateway-Id`` without its secret would do). A public operation declares no security.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyHeader, HTTPBearer
from fastapi.security.base import SecurityBase

F = TypeVar("F", bound=Callable)
Requirement = frozenset[str]  # scheme names sent together

user_token = HTTPBearer(
    scheme_name="userToken",
    auto_error=False,
    description="a person's token from POST /api/v1/auth/token: 'Authorization: Bearer <token>'",
)
gateway_id_key = APIKeyHeader(
    name="X-Gateway-Id",
    scheme_name="gatewayId",
    auto_error=False,
    description="a registered gateway's id; sent with its X-Gateway-Secret",
)
gateway_secret_key = APIKeyHeader(
    name="X-Gateway-Secret",
    scheme_name="gatewaySecret",
    auto_error=False,
    description="the secret POST /api/v1/gateways/{gateway_id}/register returned for the gateway",
)

_ATTRIBUTE = "__mineguard_accepts__"


def accepts(*alternatives: tuple[SecurityBase, ...]) -> Callable[[F], F]:
    """Mark a dependency as authenticating a caller by any one of ``alternatives`` (each a tuple of
    the schemes, read by the dependency, that are sent together); returns it unchanged."""

    def mark(function: F) -> F:
        setattr(function, _ATTRIBUTE, tuple(frozenset(scheme.scheme_name for scheme in alt) for alt in alternatives))
        return function

    return mark


def _schemes_read(dependant: Dependant) -> set[str]:
    """The names of the security schemes ``dependant`` or anything under it reads."""
    found = {dependant.call.scheme_name} if isinstance(dependant.call, SecurityBase) else set()
    for child in dependant.dependencies:
        found |= _schemes_read(child)
    return found


def _authentication(dependant: Dependant) -> Iterator[tuple[Requirement, ...]]:
    """The alternatives of each authenticating part of ``dependant``: a marked dependency (checked
    against the schemes it really reads) or a scheme read outside any."""
    marked = getattr(dependant.call, _ATTRIBUTE, None)
    if marked is not None:
        named, read = set().union(*marked), _schemes_read(dependant)
        if named != read:
            raise RuntimeError(
                f"{dependant.call.__name__} accepts {sorted(named)} but reads {sorted(read)} — "
                "make its @accepts name exactly the schemes it depends on"
            )
        yield marked
        return
    if isinstance(dependant.call, SecurityBase):
        yield (frozenset({dependant.call.scheme_name}),)
    for child in dependant.dependencies:
        yield from _authentication(child)


def operation_security(dependant: Dependant) -> list[dict[str, list[str]]]:
    """The OpenAPI ``security`` of the route whose dependencies are ``dependant``: one requirement
    object per way to call it (the schemes in an object are sent together); [] for a public route."""
    ways: set[Requirement] = {frozenset()}
    for alternatives in set(_authentication(dependant)):
        ways = {way | alternative for way in ways for alternative in alternatives}
    least = [way for way in ways if not any(other < way for other in ways)]  # a superset of a way adds nothing
    if least == [frozenset()]:
        return []
    return [{name: [] for name in sorted(way)} for way in sorted(least, key=lambda way: sorted(way))]


def declare_security(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document give each operation the security of :func:`operation_security`
    (the schemes themselves, in ``components.securitySchemes``, FastAPI takes from the dependencies)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        for route in iter_route_contexts(app.routes):  # as included (FastAPI includes routers lazily)
            if not (isinstance(route.original_route, APIRoute) and route.include_in_schema):
                continue
            security = operation_security(route.dependant)
            for method in route.methods:
                operation = document["paths"][route.path_format].get(method.lower())
                if operation is None:
                    continue
                operation.pop("security", None)
                if security:
                    operation["security"] = security
        return document

    app.openapi = openapi
