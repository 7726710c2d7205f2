"""The notifier contract: a DB-free notice, a delivery result, the plugin ABC and its registry.

A plugin is one module in this package: a pydantic config class (``extra="forbid"``, a ``type``
literal, the common fields of :class:`NotifierConfigBase`) and a :class:`Notifier` subclass
registered with ``@register_notifier("<type>")``. :func:`build_notifier` finds the class by the
config's ``type``; the plugins are discovered by importing this package's modules.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from mineguard.mine.rules.regulation import Severity

Rung = Literal["operator", "supervisor", "manager"]
Kind = Literal["raised", "updated", "escalated", "acknowledged", "resolved"]
RUNGS: tuple[Rung, ...] = ("operator", "supervisor", "manager")
KINDS: tuple[Kind, ...] = ("raised", "updated", "escalated", "acknowledged", "resolved")

# Modules of this package that are not plugins.
_NOT_PLUGINS = {"base", "config", "dispatch"}


@dataclass(frozen=True)
class Notice:
    """What a notifier is told about one alert change: plain values, no database session needed."""

    alert_id: int
    kind: str
    severity: Severity
    title: str
    message: str
    t: datetime
    zone_id: str | None = None
    rung: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    audit_seq: int | None = None  # the audit log entry of this change: a copy of the chain's head off the machine
    audit_hash: str | None = None

    @classmethod
    def from_change(cls, change: Any, t: datetime) -> Notice:
        """Copy what notifiers need from a :class:`~mineguard.services.alerts.book.AlertChange`."""
        alert = change.alert
        notice = cls(
            alert_id=int(alert.id),
            kind=str(change.kind),
            severity=Severity(alert.severity),
            title=str(alert.title),
            message=str(alert.message),
            t=t,
            zone_id=alert.zone_id,
            rung=change.rung,
            evidence=dict(alert.evidence or {}),
        )
        seq, hash_ = getattr(change, "audit", None) or (None, None)
        return replace(notice, audit_seq=seq, audit_hash=hash_)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``t`` in ISO 8601; evidence values that JSON cannot hold become text)."""
        body = {
            "alert_id": self.alert_id,
            "kind": self.kind,
            "severity": str(self.severity),
            "title": self.title,
            "message": self.message,
            "zone_id": self.zone_id,
            "rung": self.rung,
            "t": self.t.isoformat(),
            "evidence": json.loads(json.dumps(self.evidence, default=str)),
        }
        audit = {"audit": {"seq": self.audit_seq, "hash": self.audit_hash}} if self.audit_seq is not None else {}
        return {**body, **audit}

    def audit_line(self) -> str | None:
        """``audit log seq N, hash H``: compare it with ``mineguard audit verify`` / ``GET /api/v1/audit``."""
        return None if self.audit_seq is None else f"audit log seq {self.audit_seq}, hash {self.audit_hash}"

    def evidence_lines(self) -> list[str]:
        return [f"{key}: {value}" for key, value in sorted(self.evidence.items())]


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one delivery: ``attempts`` counts tries; ``skipped`` means never retry."""

    ok: bool
    detail: str
    attempts: int = 1
    skipped: bool = False


class NotifierConfigBase(BaseModel):
    """Fields every notifier config has: whom the channel serves and which notices it takes."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Name in logs and delivery records; defaults to the type.")
    rungs: list[Rung] = Field(default_factory=lambda: list(RUNGS), min_length=1)
    min_severity: Severity = Severity.WARNING
    kinds: list[Kind] = Field(default_factory=lambda: ["raised", "updated", "escalated"], min_length=1)


class Notifier(ABC):
    """One delivery channel. ``send`` returns a result and may raise; the dispatcher retries."""

    type: ClassVar[str] = ""

    def __init__(self, config: NotifierConfigBase) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name or self.type

    def wants(self, notice: Notice) -> bool:
        """Whether this channel serves the notice: its kind, severity and rung (None: everyone)."""
        cfg = self.config
        return (
            notice.kind in cfg.kinds
            and Severity(notice.severity) >= cfg.min_severity
            and (notice.rung is None or notice.rung in cfg.rungs)
        )

    @abstractmethod
    def send(self, notice: Notice, *, timeout_s: float = 5.0) -> DeliveryResult:
        """Deliver once (no retries here); return ``ok=False`` or raise on failure."""


NOTIFIERS: dict[str, type[Notifier]] = {}
N = TypeVar("N", bound=type[Notifier])


def register_notifier(type_: str) -> Callable[[N], N]:
    """Class decorator: file a notifier under its config ``type``."""

    def decorate(cls: N) -> N:
        if type_ in NOTIFIERS and NOTIFIERS[type_] is not cls:
            raise ValueError(f"notifier type {type_!r} is already registered by {NOTIFIERS[type_].__qualname__}")
        cls.type = type_
        NOTIFIERS[type_] = cls
        return cls

    return decorate


def load_plugins() -> dict[str, type[Notifier]]:
    """Import every plugin module of this package so that each registers itself."""
    package = importlib.import_module(__package__ or "mineguard.services.alerts.notifiers")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _NOT_PLUGINS and not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return NOTIFIERS


def build_notifier(config: NotifierConfigBase) -> Notifier:
    """The notifier for a validated config (see ``config.NotifierConfig``)."""
    type_ = getattr(config, "type", None)
    if type_ not in NOTIFIERS:
        load_plugins()
    if type_ not in NOTIFIERS:
        raise ValueError(f"unknown notifier type {type_!r} — known: {', '.join(sorted(NOTIFIERS))}")
    return NOTIFIERS[type_](config)
