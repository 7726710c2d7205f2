"""Login throttling: exponential back-off per account and per client address, and a bound on how
many password checks run at once.

Failed logins are counted per username (known or not, so a lockout does not reveal which
usernames exist) and per client address. Past ``free_failures`` each further failure locks the
key for ``first_lock_s``, doubling up to ``max_lock_s``: short windows rather than a permanent
lockout, because an operator locked out during an emergency must be able to log in again within
a minute or so. A refused attempt (while locked) spends no password hash and does not lengthen the
lock. A key with no failure for ``window_s`` starts afresh; a successful login clears its account.

Password checks (argon2, ~0.2 s of one core each) run at most ``concurrent_checks`` at once.
Logins waiting for a check wait on the event loop, not in a worker thread, taking turns round-robin
by client address (at most ``waiting_per_address`` each and ``max_waiting`` in all; a login that
finds no room, or gets no turn within ``wait_s``, is refused): a flood from a few addresses cannot
starve other requests of threads, nor a legitimate user at another address of a turn, and a
flooding connection is held while it waits instead of coming back at once. The login route answers
refusals after ``MINEGUARD_LOGIN_REFUSAL_DELAY_S`` (a tarpit on the event loop, no thread), so a
client that ignores ``Retry-After`` cannot turn cheap refusals into a request flood.

The counters live in this process's memory (one service node; a restart forgets them). Each table
keeps at most ``max_keys`` keys, dropping the one whose last failure is oldest, so an attacker
cycling usernames or addresses cannot grow memory without bound.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mineguard.services.settings import Settings


@dataclass(frozen=True)
class BackoffPolicy:
    free_failures: int  # failures allowed before the first lock
    first_lock_s: float  # the first lock; each further failure doubles it
    max_lock_s: float  # the longest lock
    window_s: float  # a key with no failure for this long is forgotten
    max_keys: int  # keys kept in memory; the stalest is dropped first

    def lock_s(self, failures: int) -> float:
        """Seconds locked after ``failures`` consecutive failures (0 while still free)."""
        if failures < self.free_failures:
            return 0.0
        return min(self.first_lock_s * 2 ** min(failures - self.free_failures, 32), self.max_lock_s)


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


class FailureBackoff:
    """Failure counts and locks per key (a username, an address); thread-safe."""

    def __init__(self, policy: BackoffPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy, self._clock = policy, clock
        self._records: OrderedDict[str, _Record] = OrderedDict()  # oldest last failure first
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        with self._lock:
            record = self._records.get(key)
            return max(0.0, record.locked_until - self._clock()) if record else 0.0

    def failed(self, key: str) -> float:
        """Count a failure; returns the lock it starts in seconds (0: none)."""
        now = self._clock()
        with self._lock:
            record = self._records.pop(key, None) or _Record()
            if now - record.last_failure > self.policy.window_s:
                record = _Record()
            record.failures += 1
            record.last_failure = now
            lock_s = self.policy.lock_s(record.failures)
            record.locked_until = now + lock_s
            self._records[key] = record  # now the most recent
            while len(self._records) > self.policy.max_keys:
                self._records.popitem(last=False)
            return lock_s

    def failures(self, key: str) -> int:
        with self._lock:
            record = self._records.get(key)
            return record.failures if record else 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

    def __len__(self) -> int:
        return len(self._records)


@dataclass(frozen=True)
class Refusal:
    """A login refused before its password is checked: 429 with ``Retry-After: retry_after_s``."""

    retry_after_s: int
    message: str


class FairChecks:
    """At most ``slots`` password checks at once; waiting logins take turns round-robin by address.
    Use from one event loop (the service's); waiting costs no thread."""

    def __init__(
        self, slots: int, *, wait_s: float = 5.0, waiting_per_address: int = 16, max_waiting: int = 1024
    ) -> None:
        self._free, self.wait_s = slots, wait_s
        self.waiting_per_address, self.max_waiting = waiting_per_address, max_waiting
        self._queues: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()  # next address first
        self._waiting = 0

    async def acquire(self, address: str) -> bool:
        """Take a slot, waiting up to ``wait_s`` for this address's turn; False when refused (the
        address already has its share waiting, the queue is full, or the wait timed out)."""
        if self._free > 0 and not self._queues:
            self._free -= 1
            return True
        queue = self._queues.get(address)
        if self._waiting >= self.max_waiting or (queue is not None and len(queue) >= self.waiting_per_address):
            return False
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(address, deque()).append(turn)
        self._waiting += 1
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.wait_s)
        except TimeoutError:
            if turn.done():  # handed a slot just as the wait ended: take it
                return True
            self._forget(address, turn)
            return False
        except asyncio.CancelledError:  # the client went away
            if turn.done():
                self.release()  # pass the slot it was handed on
            else:
                self._forget(address, turn)
            raise
        return True

    def release(self) -> None:
        """Give the slot to the next waiting address in turn, or free it."""
        while self._queues:
            address, queue = next(iter(self._queues.items()))
            turn = queue.popleft()
            self._waiting -= 1
            if queue:
                self._queues.move_to_end(address)  # its next login waits for the other addresses
            else:
                del self._queues[address]
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def _forget(self, address: str, turn: asyncio.Future[None]) -> None:
        queue = self._queues.get(address)
        if queue is not None and turn in queue:
            queue.remove(turn)
            self._waiting -= 1
            if not queue:
                del self._queues[address]


class LoginGuard:
    """What the login route asks before and after checking a password."""

    def __init__(self, account: BackoffPolicy, address: BackoffPolicy, checks: FairChecks) -> None:
        self.accounts, self.addresses, self.checks = FailureBackoff(account), FailureBackoff(address), checks

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginGuard:
        def policy(free_failures: int) -> BackoffPolicy:
            return BackoffPolicy(
                free_failures,
                settings.login_lock_s,
                settings.login_max_lock_s,
                settings.login_failure_window_s,
                settings.login_tracked_keys,
            )

        checks = FairChecks(settings.login_concurrent_checks)
        return cls(policy(settings.login_account_failures), policy(settings.login_address_failures), checks)

    def refusal(self, username: str, address: str) -> Refusal | None:
        """Why this attempt is refused without checking the password; None to go on."""
        waits = (
            (self.accounts.retry_after(username), "this account"),
            (self.addresses.retry_after(address), "your address"),
        )
        for wait_s, whose in waits:
            if wait_s > 0:
                seconds = math.ceil(wait_s)
                return Refusal(seconds, f"too many failed logins for {whose} — retry in {seconds} s")
        return None

    def failed(self, username: str, address: str) -> tuple[float, float]:
        """Count a failed login; the locks it starts (account, address) in seconds."""
        return self.accounts.failed(username), self.addresses.failed(address)

    def succeeded(self, username: str) -> None:
        """A right password clears the account's failures (not the address's)."""
        self.accounts.reset(username)
