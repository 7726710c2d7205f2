"""Log in for a token, log out, and who am I.

Logins are throttled (``auth.throttle``): a username or client address with too many recent
failures gets 429 with ``Retry-After`` before any password hash is spent; logins waiting for a
password check take turns by address, and one that cannot get a turn in time gets 429 too. A
lock of an account is written to the audit log.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from mineguard.services.api.context import ServiceContext
from mineguard.services.api.deps import BearerDep, UnitDep, UserDep
from mineguard.services.api.errors import ApiError
from mineguard.services.api.open_streams import LOG_IN_AGAIN
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.auth import LoginIn, TokenOut
from mineguard.services.api.schemas.users import MeOut
from mineguard.services.audit import log as audit
from mineguard.services.auth.passwords import digest_secret
from mineguard.services.auth.throttle import Refusal
from mineguard.services.auth.users import AuthError, issue_token, revoke_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
log = logging.getLogger(__name__)


@router.post("/token", response_model=TokenOut, summary="Log in with username and password")
@raises(401, 429)
async def login(body: LoginIn, request: Request) -> TokenOut:
    """Async on purpose: a refused or waiting login holds no worker thread; only the password check
    (and its database work) runs in one, at most ``login_concurrent_checks`` at once."""
    ctx: ServiceContext = request.app.state.ctx
    guard, address = ctx.logins, request.client.host if request.client else "unknown"
    refusal = guard.refusal(body.username, address)
    if refusal is None and not await guard.checks.acquire(address):
        refusal = Refusal(1, "too many logins waiting for a password check — retry in 1 s")
    if refusal is not None:
        await asyncio.sleep(ctx.settings.login_refusal_delay_s)  # tarpit: holds no thread
        raise ApiError(429, refusal.message, headers={"Retry-After": str(refusal.retry_after_s)})
    try:
        return await run_in_threadpool(_log_in, ctx, body, address)
    finally:
        guard.checks.release()


def _log_in(ctx: ServiceContext, body: LoginIn, address: str) -> TokenOut:
    try:
        with ctx.sessions() as session, session.begin():
            issued = issue_token(session, body.username, body.password, ctx.settings.token_ttl_s)
            answer = TokenOut(access_token=issued.token, expires_at=issued.expires_at, role=issued.user.role)
    except AuthError as exc:
        account_lock_s, address_lock_s = ctx.logins.failed(body.username, address)
        _record_locks(ctx, body.username, address, account_lock_s, address_lock_s)
        raise ApiError(401, str(exc)) from None
    ctx.logins.succeeded(body.username)
    return answer


def _record_locks(
    ctx: ServiceContext, username: str, address: str, account_lock_s: float, address_lock_s: float
) -> None:
    """An account lock goes to the audit log (its own transaction: the failed login's is rolled back)."""
    if address_lock_s:
        log.warning("address %s locked out of logins for %.0f s after repeated failures", address, address_lock_s)
    if not account_lock_s:
        return
    failures = ctx.logins.accounts.failures(username)
    with ctx.sessions() as session, session.begin():
        audit.append(
            session,
            actor=f"address:{address}",
            action="auth.locked",
            subject=f"user:{username}",
            payload={"failures": failures, "locked_s": account_lock_s, "address": address},
        )


@router.post("/logout", status_code=204, summary="Revoke the token used for this call")
def logout(user: UserDep, unit: UnitDep, credentials: BearerDep) -> None:
    """Revoke the token; live streams opened with it are closed (code 4401) once this has committed."""
    revoke_token(unit.session, credentials.credentials)
    digest = digest_secret(credentials.credentials)
    unit.after(lambda: unit.ctx.streams.close_token(digest, f"token revoked (logged out) — {LOG_IN_AGAIN}"))


@router.get("/me", response_model=MeOut, summary="The logged-in user and the permissions of their role")
def me(user: UserDep) -> MeOut:
    return MeOut.of(user)
