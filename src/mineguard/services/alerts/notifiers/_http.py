"""Small shared helpers for the HTTP-based notifiers."""

from __future__ import annotations

import httpx

from mineguard.services.alerts.notifiers.base import DeliveryResult


def http_result(response: httpx.Response, what: str) -> DeliveryResult:
    """2xx is delivered; anything else is a failure whose detail quotes the start of the body."""
    if response.is_success:
        return DeliveryResult(ok=True, detail=f"{what}: HTTP {response.status_code}")
    body = response.text[:200].strip()
    return DeliveryResult(ok=False, detail=f"{what}: HTTP {response.status_code} {response.reason_phrase} {body}")


def http_url(value: str) -> str:
    """Validator: an absolute http(s) URL."""
    url = httpx.URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{value!r} is not an http(s) URL — e.g. https://hooks.example.com/mineguard")
    return value
