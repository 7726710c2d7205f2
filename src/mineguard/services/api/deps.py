"""Request dependencies: a transactional unit of work, the current user or gateway, role checks.

Credentials are read through the security schemes of :mod:`~mineguard.services.api.auth_schemes`,
and each authenticating dependency says with ``@accepts`` which of them it takes, so the OpenAPI
document declares per operation exactly what the code accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import BigInteger
from sqlalchemy.orm import Session

from mineguard.mine.roles import Permission, Role, can, roles_with
from mineguard.services.api.auth_schemes import accepts, gateway_id_key, gateway_secret_key, user_token
from mineguard.services.api.context import ServiceContext
from mineguard.services.api.errors import ApiError
from mineguard.services.api.responses import raises
from mineguard.services.auth.users import AuthError, user_for_token
from mineguard.services.events import TwinEvent, Viewer
from mineguard.services.iot.gateways import GatewayAuthError, authenticate_gateway
from mineguard.services.storage.models import Gateway, User


@dataclass
class Unit:
    """One request's session plus the events to publish once its transaction has committed."""

    session: Session
    ctx: ServiceContext
    events: list[TwinEvent] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, event: TwinEvent) -> None:
        self.events.append(event)

    def after(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the request's transaction has committed (e.g. rule evaluation)."""
        self.after_commit.append(callback)


def get_ctx(request: Request) -> ServiceContext:
    return request.app.state.ctx


def get_unit(ctx: Annotated[ServiceContext, Depends(get_ctx)]) -> Iterator[Unit]:
    with ctx.sessions() as session:
        with session.begin():
            unit = Unit(session, ctx)
            yield unit
        for event in unit.events:
            ctx.hub.publish(event)
        for callback in unit.after_commit:
            callback()


UnitDep = Annotated[Unit, Depends(get_unit, scope="function")]

INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1  # INTEGER and BIGINT on PostgreSQL; SQLite overflows past INT64_MAX


def db_id(column: Any) -> Any:
    """The path parameter type of an id stored in ``column``: a whole number from 1 to the largest
    its SQL type holds on every backend, so an out-of-range id is a 422 naming the parameter, never a
    database error (SQLite overflows, PostgreSQL refuses). Every integer id in a route path uses it."""
    high = INT64_MAX if isinstance(column.type, BigInteger) else INT32_MAX
    return Annotated[int, Path(ge=1, le=high, description=f"a row id: a whole number from 1 to {high}")]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(user_token)]
GATEWAY_ID_MAX, GATEWAY_SECRET_MAX = 64, 256  # characters: longer is no gateway's


@accepts((user_token,))
@raises(401)
def current_user(unit: UnitDep, credentials: BearerDep) -> User:
    if credentials is None:
        raise ApiError(401, "not logged in — send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
    try:
        return user_for_token(unit.session, credentials.credentials)
    except AuthError as exc:
        raise ApiError(401, str(exc)) from None


UserDep = Annotated[User, Depends(current_user)]


def require(permission: Permission):
    allowed = ", ".join(roles_with(permission))

    @raises(403)
    def check(user: UserDep) -> User:
        if not can(user.role, permission):
            raise ApiError(403, f"role {user.role} may not {permission.value.replace('_', ' ')} — needs: {allowed}")
        return user

    return Depends(check)


def viewer_of(user: User) -> Viewer:
    return Viewer(Role(user.role), user.crew, user.asset_id)


@accepts((gateway_secret_key,))
@raises(401)
def current_gateway(
    gateway_id: str, unit: UnitDep, x_gateway_secret: Annotated[str | None, Depends(gateway_secret_key)]
) -> Gateway:
    """The gateway the path names, if ``X-Gateway-Secret`` is its secret."""
    if len(gateway_id) > GATEWAY_ID_MAX or len(x_gateway_secret or "") > GATEWAY_SECRET_MAX:
        too_long = f"over {GATEWAY_ID_MAX} characters, or a secret over {GATEWAY_SECRET_MAX}"
        raise ApiError(401, f"no gateway has an id {too_long} — use the id and secret of a registered gateway")
    try:
        return authenticate_gateway(unit.session, gateway_id, x_gateway_secret)
    except GatewayAuthError as exc:
        raise ApiError(401, f"{exc} — use the secret returned by POST /api/v1/gateways/{gateway_id}/register") from None


GatewayDep = Annotated[Gateway, Depends(current_gateway)]


@dataclass(frozen=True)
class Sender:
    """Who is calling a device route: a registered gateway or a user allowed to manage devices."""

    source: str  # "http:<gateway_id>" or "http:user:<username>"


def gateway_or_manager_to(doing: str) -> Callable[..., Sender]:
    """A dependency admitting a registered gateway or a manager; a refused role is told it may not ``doing``."""

    @accepts((user_token,), (gateway_id_key, gateway_secret_key))
    @raises(401, 403)
    def gateway_or_manager(
        unit: UnitDep,
        credentials: BearerDep,
        x_gateway_id: Annotated[str | None, Depends(gateway_id_key)],
        x_gateway_secret: Annotated[str | None, Depends(gateway_secret_key)],
    ) -> Sender:
        """``X-Gateway-Id`` + ``X-Gateway-Secret`` of a registered gateway, else a bearer token of a
        role with MANAGE_DEVICES. With ``X-Gateway-Id`` present the gateway check alone decides."""
        if x_gateway_id is not None:
            gateway = current_gateway(x_gateway_id, unit, x_gateway_secret)
            return Sender(f"http:{gateway.device_id}")
        if credentials is None:
            raise ApiError(
                401,
                "not logged in — a gateway sends X-Gateway-Id and X-Gateway-Secret; a person sends "
                "'Authorization: Bearer <token>' (POST /api/v1/auth/token)",
            )
        user = current_user(unit, credentials)
        if not can(user.role, Permission.MANAGE_DEVICES):
            allowed = ", ".join(roles_with(Permission.MANAGE_DEVICES))
            raise ApiError(403, f"role {user.role} may not {doing} — needs: {allowed}, or a registered gateway")
        return Sender(f"http:user:{user.username}")

    return gateway_or_manager


gateway_or_manager = gateway_or_manager_to("post readings")
SenderDep = Annotated[Sender, Depends(gateway_or_manager)]
