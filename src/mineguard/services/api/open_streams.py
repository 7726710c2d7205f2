"""The open live streams, so that a socket closes as soon as its token stops being good.

Each WebSocket registers what it was opened with (a ``StreamGrant``: token digest, user, scope,
expiry). It is closed

- at once when this process revokes its token (logout) or changes its user's role: the routes
  call ``close_token`` / ``close_user`` once their transaction has committed;
- at its token's ``expires_at``, by a timer on the event loop;
- within ``recheck_s`` seconds when another process (the CLI, a second node, a database edit)
  revoked the token, disabled the account or changed the role, crew or linked person: one query
  over all open tokens, run by a background thread while any stream is open.

Close codes: ``4401`` the token is no longer usable — log in again; ``4409`` the role or crew
changed — reconnect with the same token to get the new scope.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from mineguard.services.auth.users import LOG_IN_AGAIN, token_problem, tokens_in_use
from mineguard.services.storage.models import ApiToken, User
from mineguard.services.storage.types import utc_now

log = logging.getLogger(__name__)

TOKEN_UNUSABLE = 4401
SCOPE_CHANGED = 4409
MAX_REASON_BYTES = 123  # RFC 6455 §5.5: a close frame's reason fits in 123 bytes


def close_reason(text: str) -> str:
    """``text`` cut to what a WebSocket close frame can carry (whole UTF-8 characters)."""
    return text.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


@dataclass(frozen=True)
class StreamGrant:
    """What a stream was opened with; the stream closes when any of it stops being true."""

    token_digest: str
    user_id: int
    role: str
    crew: str | None
    asset_id: str | None
    expires_at: datetime

    @classmethod
    def of(cls, token: ApiToken, user: User) -> StreamGrant:
        return cls(token.token_hash, user.id, str(user.role), user.crew, user.asset_id, token.expires_at)

    def verdict(self, held: tuple[ApiToken, User] | None, now: datetime) -> tuple[int, str] | None:
        """Why the stream must close given the stored token and user (None: revoked); None to keep it."""
        token, user = held if held is not None else (None, None)
        problem = token_problem(token, user, now)
        if problem is not None:
            return TOKEN_UNUSABLE, problem
        if (str(user.role), user.crew, user.asset_id) != (self.role, self.crew, self.asset_id):
            return SCOPE_CHANGED, "your role or crew changed — reconnect to /api/v1/stream for the new scope"
        return None


class OpenStream:
    """One open socket: ``closed`` resolves to ``(code, reason)`` when it must close."""

    def __init__(self, grant: StreamGrant, loop: asyncio.AbstractEventLoop) -> None:
        self.grant, self._loop = grant, loop
        self.closed: asyncio.Future[tuple[int, str]] = loop.create_future()
        delay_s = max(0.0, (grant.expires_at - utc_now()).total_seconds())
        self._expiry = loop.call_later(delay_s, self._settle, TOKEN_UNUSABLE, f"token expired — {LOG_IN_AGAIN}")

    def close(self, code: int, reason: str) -> None:
        """Ask the socket to close; safe from any thread."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: so has the socket
            self._loop.call_soon_threadsafe(self._settle, code, reason)

    def cancel_timer(self) -> None:
        self._expiry.cancel()

    def _settle(self, code: int, reason: str) -> None:  # on the socket's loop
        if not self.closed.done():
            self.closed.set_result((code, close_reason(reason)))


class OpenStreams:
    """The registry of open streams of one service; ``recheck_s`` bounds how late a change made by
    another process closes them."""

    def __init__(self, sessions: sessionmaker[Session], recheck_s: float) -> None:
        self._sessions, self.recheck_s = sessions, recheck_s
        self._streams: set[OpenStream] = set()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def open(self, grant: StreamGrant) -> OpenStream:
        """Register a socket (call on its event loop); the recheck thread runs while any is open."""
        stream = OpenStream(grant, asyncio.get_running_loop())
        with self._lock:
            self._streams.add(stream)
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="mineguard-stream-recheck", daemon=True)
                self._watcher.start()
        return stream

    def discard(self, stream: OpenStream) -> None:
        stream.cancel_timer()
        with self._lock:
            self._streams.discard(stream)

    def close_token(self, token_digest: str, reason: str) -> int:
        """Close the streams opened with this token (digest); returns how many."""
        return self._close(lambda grant: grant.token_digest == token_digest, TOKEN_UNUSABLE, reason)

    def close_user(self, user_id: int, code: int, reason: str) -> int:
        """Close every stream of this user (role changed, account disabled); returns how many."""
        return self._close(lambda grant: grant.user_id == user_id, code, reason)

    def recheck(self) -> int:
        """Close the streams whose token, account or scope changed in the database; returns how many.
        Blocking (one query): run it off the event loop."""
        with self._lock:
            streams = list(self._streams)
        if not streams:
            return 0
        with self._sessions() as session:
            held = tokens_in_use(session, {stream.grant.token_digest for stream in streams})
            now = utc_now()
            verdicts = [(stream, stream.grant.verdict(held.get(stream.grant.token_digest), now)) for stream in streams]
        closing = [(stream, verdict) for stream, verdict in verdicts if verdict is not None]
        for stream, (code, reason) in closing:
            stream.close(code, reason)
        return len(closing)

    @property
    def count(self) -> int:
        return len(self._streams)

    def _close(self, matches: Callable[[StreamGrant], bool], code: int, reason: str) -> int:
        with self._lock:
            streams = [stream for stream in self._streams if matches(stream.grant)]
        for stream in streams:
            stream.close(code, reason)
        return len(streams)

    def _watch(self) -> None:
        while True:
            time.sleep(self.recheck_s)
            with self._lock:
                if not self._streams:
                    self._watcher = None  # the next open() starts a new one
                    return
            try:
                self.recheck()
            except Exception:  # a database hiccup must not end the backstop; expiry timers still run
                log.exception("recheck of open streams failed")
