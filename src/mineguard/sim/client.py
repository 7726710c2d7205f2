"""A small HTTP client of the real MineGuard API, all the simulated mine needs besides publishing readings.

It logs in as a user allowed to manage devices (the super-manager's credentials are handed to it),
registers the site's gateways (``POST /api/v1/gateways/{id}/register``; registering again is
allowed and rotates the secret, so a run re-keys the gateways it drives), pairs tags to people
(``POST /api/v1/tags/pair``), posts camera events (``POST /api/v1/events``), posts tag fixes as
the gateway that heard them (``POST /api/v1/gateways/{id}/readings`` with its secret), posts
reading batches (``POST /api/v1/readings``) and reads alerts, health and ingest totals back.

Every refusal of the service becomes a :class:`ServiceError` that says which call, the status
and the service's own message (``error.message`` and its ``problems``), never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from mineguard.sim.people import TagFix

API = "/api/v1"


class ServiceError(RuntimeError):
    """The service refused a call or could not be reached; the message says which and why."""


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        problems = [str(p) for p in error.get("problems") or [] if str(p) not in message]
        return "; ".join([message, *problems]).strip("; ")
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return str(body)[:300]


class ServiceClient:
    """One logged-in session against ``base_url`` (e.g. ``http://127.0.0.1:8000``)."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout_s: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)
        self._password = password
        self._token: str | None = None
        self.secrets: dict[str, str] = {}  # gateway id -> the secret this client registered

    # --- plumbing
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _call(self, method: str, path: str, *, auth: bool = True, headers: dict | None = None, **kw) -> Any:
        headers = dict(headers or {})
        if auth and "X-Gateway-Secret" not in headers:
            headers["Authorization"] = f"Bearer {self._login()}"
        try:
            response = self._http.request(method, API + path, headers=headers, **kw)
        except httpx.TransportError as exc:
            raise ServiceError(f"{method} {API}{path}: cannot reach {self.base_url} ({exc})") from None
        if response.status_code >= 400:
            raise ServiceError(f"{method} {API}{path}: {response.status_code} {_detail(response)}")
        return response.json() if response.content else None

    def _login(self) -> str:
        if self._token is None:
            body = {"username": self.username, "password": self._password}
            self._token = self._call("POST", "/auth/token", auth=False, json=body)["access_token"]
        return self._token

    def login(self) -> str:
        """Log in now (the role it got); a wrong password is a :class:`ServiceError` here, not later."""
        self._token = None
        self._login()
        return self._call("GET", "/auth/me").get("role", "")

    # --- devices
    def register_gateway(self, gateway_id: str) -> str:
        """Register (or re-key) a gateway of the site; returns and keeps its new secret."""
        secret = self._call("POST", f"/gateways/{gateway_id}/register")["secret"]
        self.secrets[gateway_id] = secret
        return secret

    def pair_tag(self, barcode: str, asset_id: str) -> dict:
        return self._call("POST", "/tags/pair", json={"barcode": barcode, "asset_id": asset_id, "force": True})

    def post_tag_fixes(self, gateway_id: str, fixes: Sequence[TagFix], t_iso: str) -> list[dict]:
        """The fixes one gateway heard, as that gateway (its registered secret)."""
        body = {
            "readings": [
                {
                    "barcode": fix.barcode,
                    "t": t_iso,
                    "x_m": round(fix.xyz[0], 3),
                    "y_m": round(fix.xyz[1], 3),
                    "z_m": round(fix.xyz[2], 3),
                    "accel_g": np.round(fix.accel_g, 4).tolist(),
                    "rate_hz": fix.rate_hz,
                }
                for fix in fixes
            ]
        }
        headers = {"X-Gateway-Secret": self.secrets[gateway_id]}
        return self._call("POST", f"/gateways/{gateway_id}/readings", auth=False, headers=headers, json=body)

    # --- inputs
    def post_events(self, events: list[dict]) -> dict:
        return self._call("POST", "/events", json={"events": events})

    def post_readings(self, payloads: list[dict]) -> dict:
        return self._call("POST", "/readings", json={"readings": payloads})

    # --- reading back
    def get(self, path: str, **params: Any) -> Any:
        """``GET /api/v1<path>`` as the logged-in user, e.g. ``get("/events", limit=100)``."""
        return self._call("GET", path, params=params)

    def alerts(self, limit: int = 2000) -> list[dict]:
        return self._call("GET", "/alerts", params={"limit": limit})

    def health(self) -> dict:
        """``GET /api/v1/health`` (answers 503 with the same body when unhealthy: returned, not raised)."""
        try:
            response = self._http.get(API + "/health")
        except httpx.TransportError as exc:
            raise ServiceError(f"GET {API}/health: cannot reach {self.base_url} ({exc})") from None
        if response.status_code not in (200, 503):
            raise ServiceError(f"GET {API}/health: {response.status_code} {_detail(response)}")
        return response.json()

    def reading_stats(self) -> dict:
        return self._call("GET", "/readings/stats")
