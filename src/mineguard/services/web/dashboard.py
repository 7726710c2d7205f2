"""Serve the dashboard's files at ``/dashboard/`` (``/`` redirects there).

The page talks to the same ``/api/v1`` as every other client: a token from ``POST /api/v1/auth/token``
kept in the tab's ``sessionStorage``, live changes from the WebSocket ``/api/v1/stream``. Its files
are sent with a Content-Security-Policy that allows this origin only (no inline script, no CDN).
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

PREFIX = "/dashboard"
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' ws: wss:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _DashboardFiles(StaticFiles):
    """``StaticFiles`` that adds the security headers to every answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def static_folder() -> str:
    """The folder of the dashboard's files inside the installed package."""
    return str(resources.files("mineguard.services.web").joinpath("static"))


def mount_dashboard(app: FastAPI) -> None:
    """``/dashboard/`` serves ``index.html`` and its modules; ``/`` redirects to it."""
    app.mount(PREFIX, _DashboardFiles(directory=static_folder(), html=True), name="dashboard")

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/")
