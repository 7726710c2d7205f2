"""Gateway registration (a per-gateway secret) and configuration (scan window, geo-location,
data destination). A configuration change bumps ``config_version`` and queues ``push_config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mineguard.services.audit import log as audit
from mineguard.services.auth.passwords import digest_secret, new_secret, secret_matches
from mineguard.services.iot.commands import queue_command
from mineguard.services.storage.models import Device, Gateway
from mineguard.services.storage.types import utc_now
from mineguard.services.twin.tracking import NotFound

CONFIG_FIELDS = ("scan_window_s", "latitude", "longitude", "altitude_m", "data_destination")


class GatewayAuthError(Exception):
    """A gateway call with a missing or wrong secret."""


class GatewayStateError(ValueError):
    """The device cannot be a gateway, or the gateway is not registered yet."""


@dataclass(frozen=True)
class Registration:
    gateway: Gateway
    secret: str  # shown once; only its digest is stored


def register_gateway(session: Session, device_id: str, *, actor: str) -> Registration:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"device {device_id!r} does not exist — gateways are declared in the site file")
    if device.kind != "gateway":
        raise GatewayStateError(f"device {device_id!r} is a {device.kind}, not a gateway — register a gateway id")
    secret = new_secret()
    gateway = session.get(Gateway, device_id)
    rotated = gateway is not None
    if gateway is None:
        gateway = Gateway(device_id=device_id, secret_hash=digest_secret(secret), registered_by=actor)
        session.add(gateway)
    else:
        gateway.secret_hash, gateway.registered_by, gateway.registered_at = digest_secret(secret), actor, utc_now()
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="gateway.secret_rotated" if rotated else "gateway.registered",
        subject=f"gateway:{device_id}",
        payload={},
    )
    return Registration(gateway, secret)


def get_gateway(session: Session, device_id: str) -> Gateway:
    gateway = session.get(Gateway, device_id)
    if gateway is None:
        if session.get(Device, device_id) is None:
            raise NotFound(f"gateway {device_id!r} does not exist — gateways are declared in the site file")
        raise GatewayStateError(f"gateway {device_id!r} is not registered — POST /api/v1/gateways/{device_id}/register")
    return gateway


def authenticate_gateway(session: Session, device_id: str, secret: str | None) -> Gateway:
    gateway = session.get(Gateway, device_id)
    if gateway is None or not secret or not secret_matches(secret, gateway.secret_hash):
        raise GatewayAuthError(f"gateway {device_id!r}: missing or wrong X-Gateway-Secret")
    gateway.last_seen_at = utc_now()
    return gateway


def configure_gateway(session: Session, device_id: str, changes: dict[str, Any], *, actor: str) -> Gateway:
    gateway = get_gateway(session, device_id)
    unknown = set(changes) - set(CONFIG_FIELDS)
    if unknown:
        raise GatewayStateError(f"unknown gateway setting(s) {sorted(unknown)} — use {', '.join(CONFIG_FIELDS)}")
    diff = {k: {"from": getattr(gateway, k), "to": v} for k, v in changes.items() if getattr(gateway, k) != v}
    if not diff:
        return gateway
    for key, value in changes.items():
        setattr(gateway, key, value)
    gateway.config_version += 1
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="gateway.configured",
        subject=f"gateway:{device_id}",
        payload={"config_version": gateway.config_version, **diff},
    )
    queue_command(session, gateway, "push_config", {"config_version": gateway.config_version}, actor=actor)
    return gateway


def gateway_config(gateway: Gateway) -> dict[str, Any]:
    return {
        "gateway_id": gateway.device_id,
        "config_version": gateway.config_version,
        **{k: getattr(gateway, k) for k in CONFIG_FIELDS},
    }
