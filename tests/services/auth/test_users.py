"""Users, tokens and what each role may see, on SQLite and PostgreSQL (sample site loaded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mineguard.mine.roles import Role
from mineguard.services.audit.log import recent, verify
from mineguard.services.auth.passwords import digest_secret, verify_password
from mineguard.services.auth.scope import may_see, visible_assets
from mineguard.services.auth.users import (
    AuthError,
    UserConflict,
    change_role,
    create_user,
    issue_token,
    revoke_token,
    user_for_token,
)
from mineguard.services.storage.models import ApiToken, Asset, User
from mineguard.services.storage.types import utc_now

PASSWORD = "lamp-room-42"
MACHINES_AND_MATERIALS = ["belt-b1", "fan-f2", "roof-bolts-lot7", "shearer-1101"]


def test_tokens_issue_expire_revoke_and_disabled_users(session) -> None:
    alice = create_user(
        session, username="alice", password=PASSWORD, role=Role.OPERATOR, crew="crew-a", asset_id="miner-001"
    )
    assert alice.id is not None and alice.active and alice.password_hash != PASSWORD
    assert verify_password(alice.password_hash, PASSWORD)

    issued = issue_token(session, "alice", PASSWORD, ttl_s=3600)
    assert issued.user is alice
    assert timedelta(minutes=59) < issued.expires_at - utc_now() <= timedelta(hours=1)
    assert user_for_token(session, issued.token) is alice
    assert session.get(ApiToken, issued.token) is None  # only the digest is stored
    assert session.get(ApiToken, digest_secret(issued.token)).user_id == alice.id

    for username, password in (("alice", PASSWORD + "!"), ("mallory", PASSWORD)):
        with pytest.raises(AuthError, match=r"^wrong username or password$"):
            issue_token(session, username, password, ttl_s=3600)
    with pytest.raises(AuthError, match=r"unknown or revoked token — log in again at POST /api/v1/auth/token"):
        user_for_token(session, "not-a-token")

    # an expired token is refused, and purged when the user next logs in
    expired = issue_token(session, "alice", PASSWORD, ttl_s=3600)
    session.get(ApiToken, digest_secret(expired.token)).expires_at = utc_now() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(AuthError, match=r"token expired — log in again at POST /api/v1/auth/token"):
        user_for_token(session, expired.token)
    fresh = issue_token(session, "alice", PASSWORD, ttl_s=60)
    session.commit()
    assert session.get(ApiToken, digest_secret(expired.token)) is None
    assert {row.token_hash for row in session.scalars(select(ApiToken))} == {
        digest_secret(issued.token),
        digest_secret(fresh.token),
    }

    revoke_token(session, fresh.token)
    with pytest.raises(AuthError, match="unknown or revoked token"):
        user_for_token(session, fresh.token)
    revoke_token(session, fresh.token)  # revoking twice is harmless
    assert user_for_token(session, issued.token) is alice  # other tokens live on

    alice.active = False
    session.commit()
    with pytest.raises(AuthError, match=r"account disabled — ask a super-manager"):
        user_for_token(session, issued.token)
    with pytest.raises(AuthError, match="wrong username or password"):
        issue_token(session, "alice", PASSWORD, ttl_s=3600)


def test_create_user_conflicts_and_role_change_audit(session) -> None:
    bob = create_user(session, username="bob", password=PASSWORD, role=Role.SUPERVISOR, crew="crew-b", actor="root")
    [created] = recent(session, action="user.created")
    assert (created.actor, created.subject, created.payload) == (
        "root",
        "user:bob",
        {"role": "supervisor", "crew": "crew-b", "asset_id": None},
    )

    with pytest.raises(UserConflict, match=r"user 'bob' exists — choose another username"):
        create_user(session, username="bob", password=PASSWORD, role=Role.OPERATOR)
    with pytest.raises(UserConflict, match=r"asset 'miner-999' does not exist — link the user to a person"):
        create_user(session, username="carol", password=PASSWORD, role=Role.OPERATOR, asset_id="miner-999")
    with pytest.raises(ValueError, match="password is too short"):
        create_user(session, username="dave", password="short", role=Role.OPERATOR)
    with pytest.raises(ValueError, match="'admin' is not a valid Role"):
        create_user(session, username="erin", password=PASSWORD, role="admin")  # type: ignore[arg-type]
    assert session.scalars(select(User.username)).all() == ["bob"]

    change_role(session, bob, Role.MANAGER, actor="root")
    session.commit()
    assert session.get(User, bob.id).role == "manager"
    [changed] = recent(session, action="user.role_changed")
    assert (changed.actor, changed.subject, changed.payload) == (
        "root",
        "user:bob",
        {"from": "supervisor", "to": "manager"},
    )
    assert verify(session).ok


@pytest.fixture(scope="module")
def scoped_session(tmp_path_factory: pytest.TempPathFactory):
    """The sample site on SQLite, shared read-only by the scope cases (both backends: the next test)."""
    from mineguard.mine.site import load_site
    from mineguard.services.storage.db import make_engine, migrate, session_factory
    from mineguard.services.twin.loader import sync_site

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('scope') / 'scope.db'}")
    migrate(engine)
    with session_factory(engine)() as session:
        sync_site(session, load_site())
        session.commit()
        yield session, sorted(session.scalars(select(Asset.id)))
    engine.dispose()


@pytest.mark.parametrize(
    ("role", "crew", "asset_id", "expected"),
    [
        (Role.OPERATOR, "crew-a", "miner-001", ["miner-001"]),
        (Role.OPERATOR, "crew-a", None, []),
        (Role.SUPERVISOR, "crew-a", "miner-001", ["miner-001", "miner-002", "miner-003", *MACHINES_AND_MATERIALS]),
        (Role.SUPERVISOR, "crew-b", "miner-004", ["miner-004", "miner-005", "miner-006", *MACHINES_AND_MATERIALS]),
        (
            Role.SUPERVISOR,
            "crew-b",
            "miner-001",
            ["miner-001", "miner-004", "miner-005", "miner-006", *MACHINES_AND_MATERIALS],
        ),
        (Role.SUPERVISOR, None, None, MACHINES_AND_MATERIALS),
        (Role.MANAGER, None, None, "all"),
        (Role.SUPER_MANAGER, "crew-a", None, "all"),
    ],
    ids=[
        "operator",
        "operator-unlinked",
        "supervisor-a",
        "supervisor-b",
        "supervisor-b-own-outside-crew",
        "supervisor-no-crew",
        "manager",
        "super-manager",
    ],
)
def test_visible_assets_and_may_see_per_role(
    scoped_session, role: Role, crew: str | None, asset_id: str | None, expected: list[str] | str
) -> None:
    session, everything = scoped_session
    user = User(username="viewer", role=role, crew=crew, asset_id=asset_id)  # transient: no password needed
    visible = [asset.id for asset in session.scalars(visible_assets(user))]
    wanted = everything if expected == "all" else expected
    assert visible == sorted(wanted)
    assert [a.id for a in session.scalars(select(Asset).order_by(Asset.id)) if may_see(user, a)] == visible


def test_scope_query_on_both_backends(session) -> None:
    supervisor = User(username="sup", role=Role.SUPERVISOR, crew="crew-b", asset_id=None)
    operator = User(username="op", role=Role.OPERATOR, crew="crew-b", asset_id="miner-005")
    assert [a.id for a in session.scalars(visible_assets(supervisor))] == [
        "belt-b1",
        "fan-f2",
        "miner-004",
        "miner-005",
        "miner-006",
        "roof-bolts-lot7",
        "shearer-1101",
    ]
    assert [a.id for a in session.scalars(visible_assets(operator))] == ["miner-005"]
    assert len(session.scalars(visible_assets(User(username="m", role=Role.MANAGER))).all()) == 10
