"""User accounts and API tokens stored in the database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mineguard.mine.roles import Role
from mineguard.services.audit import log as audit
from mineguard.services.auth.passwords import (
    digest_secret,
    dummy_password_hash,
    hash_password,
    new_secret,
    verify_password,
)
from mineguard.services.storage.models import ApiToken, Asset, User
from mineguard.services.storage.types import utc_now


class AuthError(Exception):
    """Wrong credentials or an unusable token."""


class UserConflict(ValueError):
    """The username is taken or the referenced asset does not exist."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    crew: str | None = None,
    asset_id: str | None = None,
    actor: str = "system",
) -> User:
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserConflict(f"user {username!r} exists — choose another username")
    if asset_id is not None and session.get(Asset, asset_id) is None:
        raise UserConflict(f"asset {asset_id!r} does not exist — link the user to a person in the site file")
    user = User(username=username, password_hash=hash_password(password), role=Role(role), crew=crew, asset_id=asset_id)
    session.add(user)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.created",
        subject=f"user:{username}",
        payload={"role": str(role), "crew": crew, "asset_id": asset_id},
    )
    return user


def change_role(session: Session, user: User, role: Role, *, actor: str) -> User:
    old = user.role
    user.role = Role(role)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.role_changed",
        subject=f"user:{user.username}",
        payload={"from": old, "to": str(role)},
    )
    return user


def issue_token(session: Session, username: str, password: str, ttl_s: int) -> IssuedToken:
    """A new token for a right username and password. An unknown or disabled user costs the same password
    check (against a dummy hash), so the answer time does not tell which usernames exist."""
    user = session.scalar(select(User).where(User.username == username))
    usable = user is not None and user.active
    matches = verify_password(user.password_hash if usable else dummy_password_hash(), password)
    if not (usable and matches):
        raise AuthError("wrong username or password")
    token = new_secret()
    expires = utc_now() + timedelta(seconds=ttl_s)
    session.add(ApiToken(token_hash=digest_secret(token), user_id=user.id, expires_at=expires))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at < utc_now()))
    session.flush()
    return IssuedToken(token, expires, user)


LOG_IN_AGAIN = "log in again at POST /api/v1/auth/token"


def token_problem(token: ApiToken | None, user: User | None, now: datetime) -> str | None:
    """Why a stored token (None: unknown or revoked) of ``user`` is unusable at ``now``; None when usable.
    The one rule for the HTTP bearer check and for the live stream's rechecks."""
    if token is None:
        return f"unknown or revoked token — {LOG_IN_AGAIN}"
    if token.expires_at <= now:
        return f"token expired — {LOG_IN_AGAIN}"
    if user is None or not user.active:
        return "account disabled — ask a super-manager"
    return None


def token_holder(session: Session, token: str) -> tuple[ApiToken, User]:
    """The stored token and its active user; AuthError says why a token is unusable."""
    row = session.get(ApiToken, digest_secret(token))
    user = session.get(User, row.user_id) if row is not None else None
    problem = token_problem(row, user, utc_now())
    if problem is not None:
        raise AuthError(problem)
    return row, user  # type: ignore[return-value]


def user_for_token(session: Session, token: str) -> User:
    return token_holder(session, token)[1]


def tokens_in_use(session: Session, digests: Collection[str]) -> dict[str, tuple[ApiToken, User]]:
    """The stored tokens among ``digests`` (SHA-256 digests) with their users, in one query; a revoked
    token is missing from the answer. Expiry and ``User.active`` are left to the caller."""
    if not digests:
        return {}
    query = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    rows = session.execute(query.where(ApiToken.token_hash.in_(list(digests))))
    return {token.token_hash: (token, user) for token, user in rows}


def revoke_token(session: Session, token: str) -> None:
    session.execute(delete(ApiToken).where(ApiToken.token_hash == digest_secret(token)))
