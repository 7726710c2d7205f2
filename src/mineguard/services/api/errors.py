"""JSON errors a person can act on: ``{"error": {"status", "message", "problems"}}``.

Bad input never becomes a 500: validation problems name the field and the fix (422), unknown
ids say where to look (404), conflicts explain the state (409), oversized bodies are refused
before they are read (413).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mineguard.services.twin.tracking import NotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, problems: list[str] | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems or []
        self.headers = headers  # e.g. Retry-After on 429


def error_body(status: int, message: str, problems: list[str] | None = None) -> dict:
    return {"error": {"status": status, "message": message, "problems": problems or []}}


def _describe(error: dict) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
    where = ".".join(loc) or "body"
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')}) — send a JSON object"
    if kind == "missing":
        return f"{where}: required — add it"
    if kind == "extra_forbidden":
        return f"{where}: unknown field — remove it or check the spelling"
    message = error.get("msg", "invalid").removeprefix("Value error, ")
    return f"{where}: {message}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.status, exc.message, exc.problems), exc.status, headers=exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(error_body(404, str(exc)), status_code=404)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_describe(e) for e in exc.errors()]
        return JSONResponse(error_body(422, "the request is not valid: " + "; ".join(problems), problems), 422)

    @app.exception_handler(IntegrityError)
    async def _conflict(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return JSONResponse(error_body(409, "conflicts with existing data (duplicate or missing reference)"), 409)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: "no such route — see /docs for the API", 405: "method not allowed on this route — see /docs"}
        return JSONResponse(
            error_body(exc.status_code, message.get(exc.status_code, str(exc.detail))),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(error_body(500, "internal error — it was logged; please report it"), 500)


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


class BodySizeLimit:
    """ASGI middleware refusing bodies over ``max_bytes`` with 413: by Content-Length before anything
    is read, or while streaming (chunked bodies) as soon as the limit is passed. After the 413 the
    route sees a disconnected client and whatever it answers is dropped, so every route gives 413.
    ``on_refused`` is told of each refusal; it runs on the event loop and must return at once."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_refused: Callable[[Refusal], None] | None = None) -> None:
        self.app, self.max_bytes, self.on_refused = app, max_bytes, on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send, int(declared) if declared.isdigit() else None, chunked=False)
            return
        seen, refused, started = 0, False, False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send, seen, chunked=True)
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

    async def _refuse(self, scope: Scope, send: Send, size: int | None, *, chunked: bool) -> None:
        response = JSONResponse(
            error_body(413, f"request body over {self.max_bytes} bytes — send smaller batches"), status_code=413
        )
        await response({"type": "http"}, _no_receive, send)
        if self.on_refused is None:
            return
        headers = dict(scope.get("headers", []))
        client = scope.get("client")
        gateway = headers.get(b"x-gateway-id")
        claimed = gateway.decode("latin-1")[:64] if gateway is not None else None
        where = (scope.get("method", ""), scope.get("path", ""), client[0] if client else None)
        refusal = Refusal(*where, claimed, size, chunked, self.max_bytes)
        try:
            self.on_refused(refusal)
        except Exception:  # recording is best effort: the 413 is already out
            log.exception("could not record a refused body")


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
