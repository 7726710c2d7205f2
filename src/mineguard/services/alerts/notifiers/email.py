"""E-mail notifier over SMTP (``smtplib``): optional STARTTLS or implicit TLS, optional login.

Subject: ``[MineGuard CRITICAL] <title>``; body: the message, then the alert's facts and evidence.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from mineguard.services.alerts.notifiers.base import (
    DeliveryResult,
    Notice,
    Notifier,
    NotifierConfigBase,
    register_notifier,
)


class EmailConfig(NotifierConfigBase):
    type: Literal["email"] = "email"
    host: str
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    use_ssl: bool = False
    username: str | None = None
    password: SecretStr | None = None
    from_addr: str
    to_addrs: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_tls(self) -> EmailConfig:
        if self.starttls and self.use_ssl:
            raise ValueError("starttls and use_ssl exclude each other — use_ssl for port 465, starttls for 587")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together — give both or neither")
        return self


def subject_of(notice: Notice) -> str:
    return f"[MineGuard {str(notice.severity).upper()}] {notice.title}"


def body_of(notice: Notice) -> str:
    lines = [
        notice.message,
        "",
        f"Alert: #{notice.alert_id} ({notice.kind})",
        f"Severity: {notice.severity}",
        f"Time: {notice.t.isoformat()}",
    ]
    if notice.zone_id:
        lines.append(f"Zone: {notice.zone_id}")
    if notice.rung:
        lines.append(f"For: {notice.rung}")
    if notice.evidence:
        lines += ["", "Evidence:", *(f"  {line}" for line in notice.evidence_lines())]
    if notice.audit_line():
        lines += ["", f"Audit: {notice.audit_line()}"]
    return "\n".join(lines) + "\n"


def message_of(config: EmailConfig, notice: Notice) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject_of(notice)
    msg["From"] = config.from_addr
    msg["To"] = ", ".join(config.to_addrs)
    msg["X-MineGuard-Alert"] = str(notice.alert_id)
    msg.set_content(body_of(notice))
    return msg


@register_notifier("email")
class EmailNotifier(Notifier):
    config: EmailConfig

    def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
        cfg = self.config
        smtp_class = smtplib.SMTP_SSL if cfg.use_ssl else smtplib.SMTP
        with smtp_class(cfg.host, cfg.port, timeout=timeout_s) as smtp:
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if cfg.username is not None and cfg.password is not None:
                smtp.login(cfg.username, cfg.password.get_secret_value())
            refused = smtp.send_message(message_of(cfg, notice), from_addr=cfg.from_addr, to_addrs=cfg.to_addrs)
        if refused:  # some recipients took it; sending again would repeat it to them
            return DeliveryResult(ok=True, detail=f"smtp {cfg.host}: sent, but refused by {sorted(refused)}")
        return DeliveryResult(ok=True, detail=f"smtp {cfg.host}: sent to {len(cfg.to_addrs)} recipient(s)")
