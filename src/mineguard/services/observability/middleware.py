"""Security headers on every HTTP response, and the request metrics, as plain ASGI middleware.

:class:`SecurityHeaders` adds what a browser needs to keep the control room's data in the control
room — no MIME sniffing, no framing (click-jacking), no referrer leaving the site, no powerful
browser features, and ``Cache-Control: no-store`` on API answers (rescue lists and alerts must not
sit in a shared cache). A header the route set itself is left as it is: the dashboard sends its own
Content-Security-Policy, evidence files their own caching. Non-HTML answers without a policy get
``default-src 'none'`` (JSON never runs anything); HTML without one gets ``frame-ancestors 'none'``.

:class:`HttpMetrics` counts requests by method, route *template* (``/api/v1/alerts/{alert_id}``,
never the raw path: ids must not become label values) and status, and times them.
"""

from __future__ import annotations

import time

from mineguard.services.observability.metrics import ServiceMetrics

ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)
API_PREFIX = "/api/"


class SecurityHeaders:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith(API_PREFIX)

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in ALWAYS if name not in have]
                if b"content-security-policy" not in have:
                    html = any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in headers)
                    headers.append(
                        (
                            b"content-security-policy",
                            b"frame-ancestors 'none'" if html else b"default-src 'none'; frame-ancestors 'none'",
                        )
                    )
                if api and b"cache-control" not in have:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class HttpMetrics:
    def __init__(self, app, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def seen(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "?")
            self.metrics.requests_total.labels(method, route, str(status)).inc()
            self.metrics.request_seconds.labels(method, route).observe(time.perf_counter() - start)
