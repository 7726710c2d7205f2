from __future__ import annotations

from email import message_from_bytes, policy

from mineguard.services.alerts.notifiers.base import Notice
from mineguard.services.alerts.notifiers.config import parse_notifier_config
from mineguard.services.alerts.notifiers.email import EmailNotifier


def test_sends_mail_with_subject_and_evidence(smtp_server, notice: Notice) -> None:
    cfg = parse_notifier_config(
        {
            "type": "email",
            "host": smtp_server.host,
            "port": smtp_server.port,
            "starttls": False,
            "from_addr": "mineguard@mine.test",
            "to_addrs": ["shift@mine.test", "boss@mine.test"],
        }
    )
    result = EmailNotifier(cfg).send(notice, timeout_s=2)
    assert result.ok, result.detail
    (mail,) = smtp_server.mails
    assert mail.mail_from == "mineguard@mine.test"
    assert mail.rcpt_to == ["shift@mine.test", "boss@mine.test"]
    msg = message_from_bytes(mail.data, policy=policy.default)
    assert msg["Subject"] == "[MineGuard CRITICAL] Methane high in Panel 3"
    assert msg["To"] == "shift@mine.test, boss@mine.test"
    body = msg.get_content().replace("\r\n", "\n")  # the wire uses CRLF
    assert body.startswith("CH4 1.6 % at P3-N2 — withdraw people from Panel 3 and cut power\n")
    assert "  ch4_pct: 1.6\n" in body and "  sensor: P3-N2\n" in body
    assert "Zone: panel-3" in body
    assert smtp_server.commands[-1] == "QUIT"


def test_unreachable_server_raises_for_the_dispatcher_to_retry(notice: Notice) -> None:
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = parse_notifier_config(
        {
            "type": "email",
            "host": "127.0.0.1",
            "port": port,
            "starttls": False,
            "from_addr": "a@mine.test",
            "to_addrs": ["b@mine.test"],
        }
    )
    try:
        EmailNotifier(cfg).send(notice, timeout_s=1)
    except OSError:
        pass
    else:
        raise AssertionError("expected a connection error")
