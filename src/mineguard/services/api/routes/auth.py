"""Log in for a token, log out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from mineguard.services.api.deps import UnitDep, UserDep, _bearer
from mineguard.services.api.errors import ApiError
from mineguard.services.api.open_streams import LOG_IN_AGAIN
from mineguard.services.api.schemas import LoginIn, TokenOut, UserOut
from mineguard.services.auth.passwords import digest_secret
from mineguard.services.auth.users import AuthError, issue_token, revoke_token

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut, summary="Log in with username and password")
def login(body: LoginIn, unit: UnitDep) -> TokenOut:
    try:
        issued = issue_token(unit.session, body.username, body.password, unit.ctx.settings.token_ttl_s)
    except AuthError as exc:
        raise ApiError(401, str(exc)) from None
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at, role=issued.user.role)


@router.post("/logout", status_code=204, summary="Revoke the token used for this call")
def logout(user: UserDep, unit: UnitDep, credentials: HTTPAuthorizationCredentials = Depends(_bearer)) -> None:
    """Revoke the token; live streams opened with it are closed (code 4401) once this has committed."""
    revoke_token(unit.session, credentials.credentials)
    digest = digest_secret(credentials.credentials)
    unit.after(lambda: unit.ctx.streams.close_token(digest, f"token revoked (logged out) — {LOG_IN_AGAIN}"))


@router.get("/me", response_model=UserOut, summary="The logged-in user")
def me(user: UserDep) -> UserOut:
    return UserOut.model_validate(user)
