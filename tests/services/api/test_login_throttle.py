"""Login through the real app: unknown users cost the same as known ones, failed logins back off per
account and per address with Retry-After before any hash is spent, and a flood of wrong passwords
leaves /health fast."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mineguard.services.auth import users as auth_users
from mineguard.services.settings import Settings
from mineguard.services.storage.models import User

from .conftest import ADMIN_PASSWORD, ROLE_USERS

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes each login checked a password against (a spy on the real check)."""
    checked: list[str] = []
    real = auth_users.verify_password

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth_users, "verify_password", spy)
    return checked


@contextmanager
def make_client(database_url: str, **settings) -> Iterator[TestClient]:
    from mineguard.services.api.main import create_app

    app = create_app(Settings(database_url=database_url, admin_password=ADMIN_PASSWORD, **settings))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.ctx.engine.dispose()


def post_login(client: TestClient, username: str, password: str):
    return client.post(TOKEN, json={"username": username, "password": password})


def median_login_s(client: TestClient, username: str, tries: int = 3) -> float:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        assert post_login(client, username, "wrong-password").status_code == 401
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_unknown_and_disabled_users_cost_a_password_check_like_known_ones(api, password_checks) -> None:
    known = median_login_s(api.client, ROLE_USERS["operator"]["username"])
    assert len(password_checks) == 3
    unknown = median_login_s(api.client, "nobody-here")
    assert len(password_checks) == 6  # the unknown user's password was checked too (against a dummy hash)
    with api.client.app.state.ctx.sessions() as session, session.begin():
        session.scalar(select(User).where(User.username == "mgr")).active = False
    disabled = post_login(api.client, "mgr", "manager-password")
    assert disabled.status_code == 401 and disabled.json()["error"]["message"] == "wrong username or password"
    assert len(password_checks) == 7
    assert unknown >= 0.3 * known, (unknown, known)  # before: ~1 % of it (no hash for unknown users)


def test_account_backs_off_with_retry_after_before_any_hash(database_url: str, password_checks) -> None:
    with make_client(database_url, login_account_failures=3, login_lock_s=1, login_refusal_delay_s=0) as client:
        for _ in range(3):
            assert post_login(client, "admin", "wrong-password").status_code == 401
        refused = post_login(client, "admin", ADMIN_PASSWORD)  # even the right password waits
        assert refused.status_code == 429, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert "retry in 1 s" in refused.json()["error"]["message"]
        assert len(password_checks) == 3  # no hash spent on the refused attempt

        time.sleep(1.1)
        assert post_login(client, "admin", "wrong-password").status_code == 401  # the 4th failure: 2 s
        assert post_login(client, "admin", ADMIN_PASSWORD).headers["Retry-After"] == "2"
        time.sleep(2.1)
        token = post_login(client, "admin", ADMIN_PASSWORD)
        assert token.status_code == 200, token.text  # a success clears the account's failures
        assert post_login(client, "admin", "wrong-password").status_code == 401
        assert post_login(client, "admin", ADMIN_PASSWORD).status_code == 200

        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        locks = client.get("/api/v1/audit", params={"action": "auth.locked"}, headers=headers).json()
        assert [(e["subject"], e["payload"]["locked_s"]) for e in reversed(locks)] == [
            ("user:admin", 1),
            ("user:admin", 2),
        ]
        assert client.get("/api/v1/audit/verify", headers=headers).json()["ok"]


def test_address_backs_off_across_usernames_and_other_addresses_go_on(database_url: str) -> None:
    with make_client(database_url, login_address_failures=4, login_lock_s=30, login_refusal_delay_s=0) as client:
        for i in range(4):  # a different (unknown) username each time: only the address counter trips
            assert post_login(client, f"guess-{i}", "wrong-password").status_code == 401
        refused = post_login(client, "admin", ADMIN_PASSWORD)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
        assert "your address" in refused.json()["error"]["message"]
        other = TestClient(client.app, client=("10.0.0.7", 50000))  # same app, another client address
        assert post_login(other, "admin", ADMIN_PASSWORD).status_code == 200


def test_password_checks_run_at_most_the_bound_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real, running, most = auth_users.verify_password, [0], [0]
    lock = threading.Lock()

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real(password_hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(auth_users, "verify_password", counting)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with make_client(url, login_concurrent_checks=1, login_address_failures=10_000) as client:
        codes: Counter[int] = Counter()

        def attempt(i: int) -> None:
            codes[post_login(client, f"user-{i}", "wrong-password").status_code] += 1

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert codes == {401: 6} and most[0] == 1  # they waited their turn (no thread held while waiting)


def test_health_stays_fast_during_a_login_flood(tmp_path: Path) -> None:
    """48 clients (more than the 40 worker threads) send wrong passwords as fast as answers come back, address
    limit off (an attacker with many addresses). Before, every flood request hashed in a worker thread, /health
    queued behind them and took seconds; now waiting logins hold no thread and /health stays far below a hash."""
    from mineguard.services.auth.passwords import dummy_password_hash, verify_password

    hash_s = statistics.median(_timed(lambda: verify_password(dummy_password_hash(), "wrong")) for _ in range(3))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with make_client(url, login_concurrent_checks=1, login_address_failures=10**6) as client:
        stop, codes = threading.Event(), Counter()

        def flood(i: int) -> None:
            while not stop.is_set():
                codes[post_login(client, f"flood-{i}", "wrong-password").status_code] += 1

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(48)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.3)
            health = [_timed(lambda: client.get("/api/v1/health").raise_for_status()) for _ in range(25)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert codes[401] >= 1 and set(codes) <= {401, 429}, codes
        assert statistics.median(health) < max(0.25 * hash_s, 0.05), (statistics.median(health), hash_s)


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started
