"""SMS notifier through an HTTP gateway: POST ``to`` and ``text`` as JSON or as a form.

A text message holds 160 characters, so the text is cut to fit with "…". Alert messages read
"<what happened> — <what to do>"; when the whole does not fit, the action goes first so that it
survives the cut: "[CRITICAL] <action> — <what happened…>". When room is left, the text ends with
the audit log entry of the change, " audit#<seq>:<first 12 hex of its hash>" (a copy off the machine).
"""

from __future__ import annotations

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

ELLIPSIS = "…"
DASH = " — "


class SmsConfig(NotifierConfigBase):
    type: Literal["sms"] = "sms"
    url: Annotated[str, AfterValidator(http_url)]
    to: list[str] = Field(min_length=1, description="Phone numbers, e.g. +27821234567.")
    format: Literal["json", "form"] = "json"
    token: SecretStr | None = Field(None, description="Sent as 'Authorization: Bearer <token>'.")
    max_chars: int = Field(160, ge=20, le=1600)


def cut(text: str, limit: int) -> str:
    """``text`` if it fits, else cut at a word boundary (when one is near) and ended with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.—-") + ELLIPSIS


def sms_text(notice: Notice, limit: int = 160) -> str:
    """The text for a notice, at most ``limit`` characters, keeping the action when there is one."""
    prefix = f"[{str(notice.severity).upper()}] "
    message = " ".join(notice.message.split())
    whole = prefix + message
    if len(whole) <= limit:
        return _with_audit(whole, notice, limit)
    if DASH in message:
        what, action = message.split(DASH, 1)
        first = prefix + action.strip()
        if len(first) + len(DASH) + 8 <= limit:  # room for a useful part of the "what"
            return first + DASH + cut(what.strip(), limit - len(first) - len(DASH))
        return cut(first, limit)
    return cut(whole, limit)


def _with_audit(text: str, notice: Notice, limit: int) -> str:
    """``text`` and " audit#<seq>:<hash prefix>" when that still fits: the safety message never gives way."""
    if notice.audit_seq is None:
        return text
    tail = f" audit#{notice.audit_seq}:{(notice.audit_hash or '')[:12]}"
    return text + tail if len(text) + len(tail) <= limit else text


@register_notifier("sms")
class SmsNotifier(Notifier):
    config: SmsConfig

    def payload(self, notice: Notice) -> dict[str, object]:
        return {"to": list(self.config.to), "text": sms_text(notice, self.config.max_chars)}

    def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
        cfg = self.config
        payload = self.payload(notice)
        headers = {} if cfg.token is None else {"Authorization": f"Bearer {cfg.token.get_secret_value()}"}
        with httpx.Client(timeout=timeout_s) as client:
            if cfg.format == "json":
                response = client.post(cfg.url, json=payload, headers=headers)
            else:  # one form field, numbers separated by commas
                form = {"to": ",".join(cfg.to), "text": str(payload["text"])}
                response = client.post(cfg.url, data=form, headers=headers)
        return http_result(response, f"sms gateway {cfg.url}")
