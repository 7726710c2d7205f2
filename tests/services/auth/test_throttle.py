"""Login back-off and the fair password-check queue, with a fake clock and a real event loop."""

from __future__ import annotations

import asyncio

import pytest

from mineguard.services.auth.throttle import BackoffPolicy, FailureBackoff, FairChecks

POLICY = BackoffPolicy(free_failures=3, first_lock_s=5, max_lock_s=60, window_s=900, max_keys=100)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lock_doubles_past_the_free_failures_up_to_the_cap() -> None:
    assert [POLICY.lock_s(n) for n in range(1, 10)] == [0, 0, 5, 10, 20, 40, 60, 60, 60]
    assert POLICY.lock_s(10**6) == 60  # no overflow for a huge count


def test_backoff_locks_forgets_after_the_window_and_resets() -> None:
    clock = Clock()
    backoff = FailureBackoff(POLICY, clock)
    assert [backoff.failed("op1") for _ in range(3)] == [0, 0, 5]
    assert backoff.retry_after("op1") == 5 and backoff.retry_after("other") == 0
    clock.now += 5
    assert backoff.retry_after("op1") == 0
    assert backoff.failed("op1") == 10
    clock.now += 901  # a quiet window: starts afresh
    assert backoff.failed("op1") == 0 and backoff.failures("op1") == 1
    backoff.reset("op1")
    assert backoff.failures("op1") == 0


def test_backoff_memory_is_bounded_dropping_the_stalest_key() -> None:
    clock = Clock()
    backoff = FailureBackoff(POLICY, clock)
    for _ in range(3):
        backoff.failed("target")
    for i in range(100):  # an attacker cycling usernames
        clock.now += 0.01
        backoff.failed(f"guess-{i}")
    assert len(backoff) == 100
    assert backoff.failures("target") == 0 and backoff.failures("guess-99") == 1


def test_fair_checks_take_turns_by_address() -> None:
    async def scenario() -> list[str]:
        checks = FairChecks(1, wait_s=5)
        order: list[str] = []

        async def login(address: str) -> None:
            assert await checks.acquire(address)
            order.append(address)
            await asyncio.sleep(0.01)
            checks.release()

        flood = [asyncio.create_task(login("10.0.0.66")) for _ in range(6)]
        await asyncio.sleep(0)  # the flood queues first
        legit = asyncio.create_task(login("10.0.0.7"))
        await asyncio.gather(*flood, legit)
        return order

    order = asyncio.run(scenario())
    assert order.index("10.0.0.7") <= 2  # its turn comes after at most one more flood login, not after all six


def test_fair_checks_refuse_beyond_the_caps_and_after_the_wait() -> None:
    async def scenario() -> tuple[list[bool], bool, bool]:
        checks = FairChecks(1, wait_s=0.05, waiting_per_address=2, max_waiting=3)
        assert await checks.acquire("a")  # holds the only slot
        same = await asyncio.gather(*(checks.acquire("a") for _ in range(3)))  # 2 may wait, the 3rd is refused
        other = await checks.acquire("b")  # waits, times out
        checks.release()
        return same, other, await checks.acquire("c")

    same, other, after = asyncio.run(scenario())
    assert sorted(same) == [False, False, False]  # the two waiting ones timed out too
    assert other is False and after is True


@pytest.mark.parametrize("slots", [1, 2])
def test_fair_checks_never_exceed_the_slots(slots: int) -> None:
    async def scenario() -> int:
        checks, running, most = FairChecks(slots, wait_s=5), [0], [0]

        async def login(i: int) -> None:
            assert await checks.acquire(f"10.0.0.{i % 3}")
            running[0] += 1
            most[0] = max(most[0], running[0])
            await asyncio.sleep(0.005)
            running[0] -= 1
            checks.release()

        await asyncio.gather(*(login(i) for i in range(12)))
        return most[0]

    assert asyncio.run(scenario()) == slots
