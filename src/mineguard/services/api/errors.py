"""JSON errors a person can act on: ``{"error": {"status", "message", "problems", "details"}}``.

Bad input never becomes a 500: validation problems name the field and the fix (422), unknown
ids say where to look (404), conflicts explain the state (409), oversized bodies are refused
before they are read (413).

``problems`` says each problem in one line (``rules.thresholds.0.unit: ...``); ``details`` says the
same for a program, one :class:`FieldProblem` each: ``loc``, the path to the field as a list of keys
and list positions (``["rules", "thresholds", 0, "unit"]``), ``field`` the same path written
``rules.thresholds[0].unit``, ``message`` what is wrong and ``fix`` what to do. A form puts each
message at the input ``loc`` names (the dashboard's rule editor does).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mineguard.mine.rules.site_rules import path_of
from mineguard.services.storage.db import is_transient
from mineguard.services.twin.tracking import NotFound

log = logging.getLogger(__name__)
DATABASE_RETRY_S = 5  # Retry-After of a 503 when the database cannot be reached


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: where (``loc``, keys and list positions), what is wrong, and the fix."""

    loc: tuple[str | int, ...]
    message: str
    fix: str | None = None

    @classmethod
    def of(cls, loc: tuple[str | int, ...], text: str) -> FieldProblem:
        """From a message in the house style, ``what is wrong — what to do``."""
        message, dash, fix = text.partition(" — ")
        return cls(loc, message, fix if dash else None)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "loc": list(self.loc), "field": path_of(self.loc) or "body"}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        problems: list[str] | None = None,
        *,
        details: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems or []
        self.details = details or []
        self.headers = headers  # e.g. Retry-After on 429


def error_body(
    status: int, message: str, problems: list[str] | None = None, details: list[FieldProblem] | None = None
) -> dict:
    error = {"status": status, "message": message, "problems": problems or []}
    return {"error": {**error, "details": [d.as_dict() for d in details or []]}}


# The fix for pydantic's own error types, whose messages say only what is wrong.
_FIXES: dict[str, str] = {
    "float_type": "write a number, e.g. 0.5",
    "float_parsing": "write a number, e.g. 0.5",
    "finite_number": "write a finite number (not NaN, Infinity or beyond ±1.8e308)",
    "int_type": "write a whole number",
    "int_parsing": "write a whole number",
    "int_from_float": "write a whole number",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "string_type": "write text, in quotes",
    "string_too_short": "fill it in",
    "string_too_long": "shorten it to at most {max_length} characters",
    "too_short": "give at least {min_length}",
    "too_long": "give at most {max_length}",
    "greater_than": "use a value above {gt}",
    "greater_than_equal": "use a value of {ge} or more",
    "less_than": "use a value below {lt}",
    "less_than_equal": "use a value of {le} or less",
    "literal_error": "use one of {expected}",
    "enum": "use one of {expected}",
    "dict_type": "write an object {...}",
    "model_type": "write an object {...}",
    "model_attributes_type": "write an object {...}",
    "list_type": "write a list [...]",
    "union_tag_invalid": "use one of {expected_tags}",
    "union_tag_not_found": "add '{discriminator}'",
}


def _detail(error: dict) -> FieldProblem:
    loc = tuple(part for part in error.get("loc", ()) if part != "body")
    kind = error.get("type", "")
    if kind == "json_invalid":
        why = error.get("ctx", {}).get("error", "parse error")
        return FieldProblem((), f"body is not valid JSON ({why})", "send a JSON object")
    if kind == "missing":
        return FieldProblem(loc, "required", "add it")
    if kind == "extra_forbidden":
        return FieldProblem(loc, "unknown field", "remove it or check the spelling")
    problem = FieldProblem.of(loc, error.get("msg", "invalid").removeprefix("Value error, "))
    if problem.fix is None and kind in _FIXES:
        try:
            return FieldProblem(loc, problem.message, _FIXES[kind].format(**error.get("ctx", {})))
        except (KeyError, IndexError, ValueError):
            return FieldProblem(loc, problem.message, _FIXES[kind].split(" {")[0])
    return problem


def _describe(error: dict, detail: FieldProblem) -> str:
    if error.get("type") == "json_invalid":
        return f"{detail.message} — {detail.fix}"
    where = ".".join(str(part) for part in detail.loc) or "body"
    if error.get("type") in ("missing", "extra_forbidden"):
        return f"{where}: {detail.message} — {detail.fix}"
    return f"{where}: {error.get('msg', 'invalid').removeprefix('Value error, ')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = error_body(exc.status, exc.message, exc.problems, exc.details)
        return JSONResponse(body, exc.status, headers=exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(error_body(404, str(exc)), status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        details = [_detail(e) for e in errors]
        problems = [_describe(e, d) for e, d in zip(errors, details, strict=True)]
        return JSONResponse(error_body(422, "the request is not valid: " + "; ".join(problems), problems, details), 422)

    @app.exception_handler(IntegrityError)
    async def _conflict(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return JSONResponse(error_body(409, "conflicts with existing data (duplicate or missing reference)"), 409)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI could not read a JSON body at all
            return _unreadable_body(exc.__cause__)
        message = {404: "no such route — see /docs for the API", 405: "method not allowed on this route — see /docs"}
        return JSONResponse(
            error_body(exc.status_code, message.get(exc.status_code, str(exc.detail))),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def _database_away(_: Request, exc: Exception) -> JSONResponse:
        """The database is down, restarting or unreachable: the transaction did not commit. A clear
        "send it again" (503 + Retry-After), never a 500 or a 200 that a sender could take as stored."""
        if not is_transient(exc):
            return await _unexpected(_, exc)
        log.warning("database unreachable, answered 503: %s", str(exc).splitlines()[0][:200])
        message = (
            "the database cannot be reached, so nothing of this request was stored — send the same request "
            f"again after {DATABASE_RETRY_S} s (Retry-After); readings are de-duplicated by (device_id, seq), so a "
            "re-sent batch is stored once"
        )
        return JSONResponse(error_body(503, message), 503, headers={"Retry-After": str(DATABASE_RETRY_S)})

    for away in (DBAPIError, DisconnectionError, PoolTimeout):  # IntegrityError keeps its own 409 above
        app.add_exception_handler(away, _database_away)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(error_body(500, "internal error — it was logged; please report it"), 500)


def _unreadable_body(cause: BaseException) -> JSONResponse:
    """A body FastAPI could not even decode (not UTF-8, nested past the parser's depth) is invalid
    input like malformed JSON: 422 naming the body, not FastAPI's undeclared 400."""
    if isinstance(cause, UnicodeDecodeError):
        why = "not UTF-8 text"
    elif isinstance(cause, RecursionError):
        why = "nested too deeply"
    else:
        why = type(cause).__name__
    detail = FieldProblem((), f"body is not valid JSON ({why})", "send a JSON object in UTF-8")
    problem = f"{detail.message} — {detail.fix}"
    return JSONResponse(error_body(422, f"the request is not valid: {problem}", [problem], [detail]), 422)


@dataclass(frozen=True)
class Refusal:
    """A request body refused for its size: who sent it where, and how big it was (never the body)."""

    method: str
    path: str
    client: str | None
    gateway_id: str | None  # the X-Gateway-Id header as sent: not authenticated (the body was never read)
    size: int | None  # the declared Content-Length, or the bytes read before a chunked body passed the limit
    chunked: bool
    limit: int


@dataclass(frozen=True)
class RouteLimit:
    """A route whose bodies may be larger (or must be smaller) than the service's ``max_body_bytes``."""

    method: str
    path: re.Pattern[str]  # matched against the whole request path
    max_bytes: int
    hint: str  # what the sender of a larger body should do


class BodySizeLimit:
    """ASGI middleware refusing bodies over ``max_bytes`` with 413: by Content-Length before anything
    is read, or while streaming (chunked bodies) as soon as the limit is passed. After the 413 the
    route sees a disconnected client and whatever it answers is dropped, so every route gives 413.
    ``on_refused`` is told of each refusal; it runs on the event loop and must return at once."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        on_refused: Callable[[Refusal], None] | None = None,
        routes: Sequence[RouteLimit] = (),
    ) -> None:
        """``routes``: the few routes with a limit of their own (a model file); the first that matches wins."""
        self.app, self.max_bytes, self.on_refused, self.routes = app, max_bytes, on_refused, tuple(routes)

    def limit_for(self, method: str, path: str) -> tuple[int, str]:
        """(the byte limit of a request, what to do about a refusal)."""
        for route in self.routes:
            if route.method == method and route.path.fullmatch(path):
                return route.max_bytes, route.hint
        return self.max_bytes, "send smaller batches"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("method", ""), scope.get("path", ""))
        max_bytes = limit[0]
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await self._refuse(scope, send, int(declared) if declared.isdigit() else None, limit, chunked=False)
            return
        seen, refused, started = 0, False, False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send, seen, limit, chunked=True)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if not refused:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not refused:
                raise
            log.debug("route gave up on a body cut off at %d bytes", seen, exc_info=True)

    async def _refuse(
        self, scope: Scope, send: Send, size: int | None, limit: tuple[int, str], *, chunked: bool
    ) -> None:
        max_bytes, hint = limit
        response = JSONResponse(error_body(413, f"request body over {max_bytes} bytes — {hint}"), status_code=413)
        await response({"type": "http"}, _no_receive, send)
        if self.on_refused is None:
            return
        headers = dict(scope.get("headers", []))
        client = scope.get("client")
        gateway = headers.get(b"x-gateway-id")
        claimed = gateway.decode("latin-1")[:64] if gateway is not None else None
        where = (scope.get("method", ""), scope.get("path", ""), client[0] if client else None)
        refusal = Refusal(*where, claimed, size, chunked, max_bytes)
        try:
            self.on_refused(refusal)
        except Exception:  # recording is best effort: the 413 is already out
            log.exception("could not record a refused body")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
