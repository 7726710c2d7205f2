"""Local fake servers for the notifier tests: HTTP and SMTP, bound to 127.0.0.1 only."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mineguard.mine.rules.regulation import Severity
from mineguard.services.alerts.notifiers.base import Notice


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeHttp:
    """Answers each request with the next status of ``statuses`` (the last one repeats)."""

    url: str = ""
    statuses: list[int] = field(default_factory=lambda: [200])
    hang_s: float = 0.0
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def http_server() -> Iterator[FakeHttp]:
    fake = FakeHttp()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.requests.append(Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if fake.hang_s:
                fake.release.wait(fake.hang_s)
            status = fake.statuses[min(len(fake.requests), len(fake.statuses)) - 1]
            reply = b"ok" if status < 300 else b"gateway says no"
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:  # the client gave up (timeout)
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


@dataclass
class Mail:
    mail_from: str
    rcpt_to: list[str]
    data: bytes


@dataclass
class FakeSmtp:
    host: str
    port: int
    mails: list[Mail] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtp]:
    """A tiny SMTP server: EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT (no TLS, no AUTH)."""
    fake: FakeSmtp

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 fake.mineguard.test ESMTP")
            mail_from, rcpt = "", []
            while raw := self.rfile.readline():
                line = raw.decode().rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                fake.commands.append(verb)
                if verb == "EHLO":
                    self.reply("250-fake.mineguard.test")
                    self.reply("250 8BITMIME")
                elif verb in ("HELO", "NOOP", "RSET"):
                    self.reply("250 OK")
                elif verb == "MAIL":
                    mail_from, rcpt = line.split(":", 1)[1].split()[0].strip("<>"), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    fake.mails.append(Mail(mail_from, rcpt, b"".join(lines)))
                    self.reply("250 OK queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake = FakeSmtp("127.0.0.1", server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


T0 = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)


@pytest.fixture
def notice() -> Notice:
    return Notice(
        alert_id=7,
        kind="raised",
        severity=Severity.CRITICAL,
        title="Methane high in Panel 3",
        message="CH4 1.6 % at P3-N2 — withdraw people from Panel 3 and cut power",
        t=T0,
        zone_id="panel-3",
        rung="operator",
        evidence={"ch4_pct": 1.6, "sensor": "P3-N2"},
    )
