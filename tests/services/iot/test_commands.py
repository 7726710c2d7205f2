"""Commands to gateways: queued -> delivered -> acknowledged | failed | timed_out."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from mineguard.services.iot.commands import (
    COMMANDS,
    CommandError,
    acknowledge,
    command_history,
    deliver_commands,
    expire_commands,
    queue_command,
)
from mineguard.services.iot.gateways import register_gateway
from mineguard.services.storage.models import Gateway
from mineguard.services.twin.tracking import NotFound

ALLOWED = "reboot, rescan, push_config, sound_alarm, set_scan_window"


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("self_destruct", None, rf"unknown command 'self_destruct' — use one of {ALLOWED}"),
        ("sound_alarm", {"seconds": 0}, r"bad arguments for sound_alarm: seconds: Input should be greater than 0"),
        ("sound_alarm", {"pattern": "disco"}, r"bad arguments for sound_alarm: pattern: String should match"),
        ("sound_alarm", {"volume": 11}, r"bad arguments for sound_alarm: volume: Extra inputs are not permitted"),
        ("push_config", {}, r"bad arguments for push_config: config_version: Field required"),
        ("set_scan_window", {"scan_window_s": "soon"}, r"set_scan_window: scan_window_s: Input should be a valid"),
        ("reboot", {"now": True}, r"bad arguments for reboot: now: Extra inputs are not permitted"),
    ],
)
def test_bad_commands_are_refused_before_touching_the_database(command: str, args: dict | None, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        queue_command(None, Gateway(device_id="gw-x"), command, args, actor="boss")  # type: ignore[arg-type]


def test_commands_have_argument_models() -> None:
    assert ", ".join(COMMANDS) == ALLOWED


def test_command_lifecycle(session) -> None:
    gateway = register_gateway(session, "gw-roadways", actor="boss").gateway
    other = register_gateway(session, "gw-faces", actor="boss").gateway

    alarm = queue_command(session, gateway, "sound_alarm", {"seconds": 10}, actor="chief", timeout_s=300)
    assert (alarm.status, alarm.args, alarm.created_by) == ("queued", {"seconds": 10.0, "pattern": "evacuate"}, "chief")
    assert alarm.delivered_at is None and alarm.finished_at is None
    reboot = queue_command(session, gateway, "reboot", actor="chief", timeout_s=300)
    assert reboot.args == {}
    session.commit()

    with pytest.raises(
        CommandError, match=rf"command {reboot.id} has not been delivered yet — poll for commands first"
    ):
        acknowledge(session, gateway, reboot.id, ok=True)
    assert deliver_commands(session, other) == []  # nothing for the other gateway
    delivered = deliver_commands(session, gateway)
    assert [c.id for c in delivered] == [alarm.id, reboot.id]  # oldest first
    assert all(c.status == "delivered" and c.delivered_at is not None for c in delivered)
    assert deliver_commands(session, gateway) == []  # delivered once

    with pytest.raises(NotFound, match=rf"command {alarm.id} was not sent to gateway 'gw-faces'"):
        acknowledge(session, other, alarm.id, ok=True)
    with pytest.raises(NotFound, match=r"command 999999 was not sent to gateway 'gw-roadways'"):
        acknowledge(session, gateway, 999_999, ok=True)

    done = acknowledge(session, gateway, alarm.id, ok=True, result={"played_s": 10})
    assert (done.status, done.result) == ("acknowledged", {"played_s": 10})
    assert done.finished_at >= done.delivered_at >= done.created_at
    failed = acknowledge(session, gateway, reboot.id, ok=False)
    assert (failed.status, failed.result) == ("failed", {})
    session.commit()
    with pytest.raises(CommandError, match=rf"command {alarm.id} is already acknowledged — it cannot be acknowledged"):
        acknowledge(session, gateway, alarm.id, ok=True)
    with pytest.raises(CommandError, match=rf"command {reboot.id} is already failed"):
        acknowledge(session, gateway, reboot.id, ok=True)

    assert [(c.command, c.status) for c in command_history(session, "gw-roadways")] == [
        ("reboot", "failed"),
        ("sound_alarm", "acknowledged"),
    ]
    assert command_history(session, "gw-faces") == []


def test_unacknowledged_commands_time_out(session) -> None:
    gateway = register_gateway(session, "gw-pit-bottom", actor="boss").gateway
    quick = queue_command(session, gateway, "rescan", actor="chief", timeout_s=0.01)
    slow = queue_command(session, gateway, "set_scan_window", {"scan_window_s": 3}, actor="chief", timeout_s=600)
    session.commit()
    time.sleep(0.05)
    assert [c.id for c in deliver_commands(session, gateway)] == [slow.id]  # the expired one is not delivered
    assert quick.status == "timed_out" and quick.finished_at is not None and quick.delivered_at is None
    with pytest.raises(CommandError, match=rf"command {quick.id} is already timed_out — it cannot be acknowledged"):
        acknowledge(session, gateway, quick.id, ok=True)

    # a delivered command that is not acknowledged in time times out too (its clock moved back 61 s)
    late = queue_command(session, gateway, "reboot", actor="chief", timeout_s=60)
    assert [c.id for c in deliver_commands(session, gateway)] == [late.id]
    assert expire_commands(session, "gw-pit-bottom") == []
    late.created_at -= timedelta(seconds=61)
    session.flush()
    assert [c.id for c in expire_commands(session, "gw-pit-bottom")] == [late.id]
    assert late.status == "timed_out"
    with pytest.raises(CommandError, match="already timed_out"):
        acknowledge(session, gateway, late.id, ok=True)
    session.commit()
    assert [(c.command, c.status) for c in command_history(session, "gw-pit-bottom")] == [
        ("reboot", "timed_out"),
        ("set_scan_window", "delivered"),
        ("rescan", "timed_out"),
    ]
