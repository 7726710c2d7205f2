"""Webhook notifier: POST the notice as JSON, signed with HMAC-SHA256 when a secret is set.

The signature header is ``X-MineGuard-Signature: sha256=<hex HMAC of the raw body>``; the receiver
recomputes it over the exact bytes it got. Any 2xx answer is a delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Literal

import httpx
from pydantic import AfterValidator, Field, SecretStr

from mineguard.services.alerts.notifiers._http import http_result, http_url
from mineguard.services.alerts.notifiers.base import (
    DeliveryResult,
    Notice,
    Notifier,
    NotifierConfigBase,
    register_notifier,
)

SIGNATURE_HEADER = "X-MineGuard-Signature"


class WebhookConfig(NotifierConfigBase):
    type: Literal["webhook"] = "webhook"
    url: Annotated[str, AfterValidator(http_url)]
    secret: SecretStr | None = None
    headers: dict[str, str] = Field(default_factory=dict)


def body_of(notice: Notice) -> bytes:
    return json.dumps(notice.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@register_notifier("webhook")
class WebhookNotifier(Notifier):
    config: WebhookConfig

    def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
        body = body_of(notice)
        headers = {**self.config.headers, "Content-Type": "application/json", "X-MineGuard-Event": notice.kind}
        if self.config.secret is not None:
            headers[SIGNATURE_HEADER] = signature(self.config.secret.get_secret_value(), body)
        with httpx.Client(timeout=timeout_s) as client:
            response = client.post(self.config.url, content=body, headers=headers)
        return http_result(response, f"webhook {self.config.url}")
