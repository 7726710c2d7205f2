"""Gateway registration (a secret shown once) and audited configuration, on both backends."""

from __future__ import annotations

import pytest

from mineguard.services.audit.log import recent, verify
from mineguard.services.auth.passwords import digest_secret
from mineguard.services.iot.commands import command_history
from mineguard.services.iot.gateways import (
    CONFIG_FIELDS,
    GatewayAuthError,
    GatewayStateError,
    authenticate_gateway,
    configure_gateway,
    gateway_config,
    get_gateway,
    register_gateway,
)
from mineguard.services.storage.models import Gateway
from mineguard.services.twin.tracking import NotFound


def test_register_rotate_and_authenticate(session) -> None:
    first = register_gateway(session, "gw-pit-bottom", actor="boss")
    assert len(first.secret) >= 43  # 256 bits, URL-safe base64
    gateway = first.gateway
    assert gateway.secret_hash == digest_secret(first.secret) != first.secret
    assert first.secret not in gateway.secret_hash
    assert (gateway.registered_by, gateway.config_version, gateway.scan_window_s) == ("boss", 1, 5.0)
    assert gateway.last_seen_at is None
    session.commit()

    assert authenticate_gateway(session, "gw-pit-bottom", first.secret) is gateway
    assert gateway.last_seen_at is not None
    for wrong in (None, "", first.secret + "x", digest_secret(first.secret)):
        with pytest.raises(GatewayAuthError, match=r"gateway 'gw-pit-bottom': missing or wrong X-Gateway-Secret"):
            authenticate_gateway(session, "gw-pit-bottom", wrong)
    with pytest.raises(GatewayAuthError, match="missing or wrong"):
        authenticate_gateway(session, "gw-roadways", first.secret)  # declared but not registered

    second = register_gateway(session, "gw-pit-bottom", actor="chief")  # re-registering rotates the secret
    assert second.secret != first.secret
    assert second.gateway is gateway and gateway.registered_by == "chief"
    session.commit()
    with pytest.raises(GatewayAuthError):
        authenticate_gateway(session, "gw-pit-bottom", first.secret)
    assert authenticate_gateway(session, "gw-pit-bottom", second.secret).device_id == "gw-pit-bottom"
    assert [(e.action, e.actor, e.subject) for e in recent(session, limit=2)] == [
        ("gateway.secret_rotated", "chief", "gateway:gw-pit-bottom"),
        ("gateway.registered", "boss", "gateway:gw-pit-bottom"),
    ]

    with pytest.raises(GatewayStateError, match=r"device 'ch4-1101-t' is a sensor, not a gateway — register a gateway"):
        register_gateway(session, "ch4-1101-t", actor="boss")
    with pytest.raises(GatewayStateError, match=r"'tag-0001' is a tag, not a gateway"):
        register_gateway(session, "tag-0001", actor="boss")
    with pytest.raises(NotFound, match=r"device 'gw-nowhere' does not exist — gateways are declared in the site file"):
        register_gateway(session, "gw-nowhere", actor="boss")
    assert session.get(Gateway, "ch4-1101-t") is None
    assert verify(session).ok


def test_configure_bumps_version_audits_and_queues_push(session) -> None:
    register_gateway(session, "gw-faces", actor="boss")
    gateway = configure_gateway(
        session, "gw-faces", {"scan_window_s": 2.5, "latitude": 39.91, "longitude": 116.4}, actor="chief"
    )
    assert gateway.config_version == 2
    session.commit()
    [entry] = recent(session, action="gateway.configured")
    assert (entry.actor, entry.subject) == ("chief", "gateway:gw-faces")
    assert entry.payload == {
        "config_version": 2,
        "scan_window_s": {"from": 5.0, "to": 2.5},
        "latitude": {"from": None, "to": 39.91},
        "longitude": {"from": None, "to": 116.4},
    }
    [push] = command_history(session, "gw-faces")
    assert (push.command, push.args, push.status, push.created_by) == (
        "push_config",
        {"config_version": 2},
        "queued",
        "chief",
    )
    assert gateway_config(gateway) == {
        "gateway_id": "gw-faces",
        "config_version": 2,
        "scan_window_s": 2.5,
        "latitude": 39.91,
        "longitude": 116.4,
        "altitude_m": None,
        "data_destination": "mineguard://local",
    }

    # the same values again change nothing: no new version, audit entry or command
    configure_gateway(session, "gw-faces", {"scan_window_s": 2.5, "latitude": 39.91}, actor="chief")
    assert gateway.config_version == 2
    assert len(recent(session, action="gateway.configured")) == 1
    assert len(command_history(session, "gw-faces")) == 1

    configure_gateway(session, "gw-faces", {"data_destination": "mqtt://10.0.0.5/mine"}, actor="chief")
    assert gateway.config_version == 3
    assert [c.args for c in command_history(session, "gw-faces")] == [{"config_version": 3}, {"config_version": 2}]

    with pytest.raises(
        GatewayStateError, match=r"unknown gateway setting\(s\) \['colour'\] — use " + ", ".join(CONFIG_FIELDS)
    ):
        configure_gateway(session, "gw-faces", {"colour": "red", "scan_window_s": 9.0}, actor="chief")
    assert gateway.scan_window_s == 2.5 and gateway.config_version == 3  # nothing applied
    with pytest.raises(
        GatewayStateError,
        match=r"gateway 'gw-roadways' is not registered — POST "
        r"/api/v1/gateways/gw-roadways/register",
    ):
        configure_gateway(session, "gw-roadways", {"scan_window_s": 1.0}, actor="chief")
    with pytest.raises(NotFound, match=r"gateway 'gw-nowhere' does not exist"):
        get_gateway(session, "gw-nowhere")
    assert verify(session).ok
