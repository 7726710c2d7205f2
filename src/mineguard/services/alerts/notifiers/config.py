"""``NotifierConfig``: the pydantic union of every plugin's config, discriminated by ``type``.

A new plugin adds its config class here (the test suite checks that this union and the registry
list the same types).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from mineguard.services.alerts.notifiers.base import Notifier, build_notifier
from mineguard.services.alerts.notifiers.email import EmailConfig
from mineguard.services.alerts.notifiers.sms import SmsConfig
from mineguard.services.alerts.notifiers.voice import VoiceConfig
from mineguard.services.alerts.notifiers.webhook import WebhookConfig

NotifierConfig = Annotated[WebhookConfig | EmailConfig | SmsConfig | VoiceConfig, Field(discriminator="type")]
NOTIFIER_CONFIG: TypeAdapter[Any] = TypeAdapter(NotifierConfig)
NOTIFIER_CONFIGS: TypeAdapter[list[Any]] = TypeAdapter(list[NotifierConfig])

__all__ = ["NOTIFIER_CONFIG", "NotifierConfig", "build_notifier", "build_notifiers", "parse_notifier_config"]


def parse_notifier_config(data: dict[str, Any]) -> WebhookConfig | EmailConfig | SmsConfig | VoiceConfig:
    """Validate one notifier's settings; raises ``pydantic.ValidationError`` naming the bad field."""
    return NOTIFIER_CONFIG.validate_python(data)


def build_notifiers(data: list[dict[str, Any]]) -> list[Notifier]:
    """Validate a list of notifier settings and build each one."""
    return [build_notifier(config) for config in NOTIFIER_CONFIGS.validate_python(data)]
