"""User accounts and roles; only the super-manager manages them. Role changes are audited."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, db_id, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.open_streams import SCOPE_CHANGED
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.users import RoleIn, UserIn, UserOut
from mineguard.services.auth.users import UserConflict, change_role, create_user
from mineguard.services.storage.models import User
from mineguard.services.twin.tracking import NotFound

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UserId = db_id(User.id)
Manage = require(Permission.MANAGE_USERS)


@router.get("", response_model=list[UserOut])
def list_users(unit: UnitDep, user: User = Manage) -> list[User]:
    return list(unit.session.scalars(select(User).order_by(User.id)))


@router.post("", response_model=UserOut, status_code=201)
@raises(409)
def add_user(body: UserIn, unit: UnitDep, user: User = Manage) -> User:
    try:
        return create_user(
            unit.session,
            username=body.username,
            password=body.password,
            role=body.role,
            crew=body.crew,
            asset_id=body.asset_id,
            actor=user.username,
        )
    except UserConflict as exc:
        raise ApiError(409, str(exc)) from None


@router.put("/{user_id}/role", response_model=UserOut)
@raises(409)
def set_role(user_id: UserId, body: RoleIn, unit: UnitDep, user: User = Manage) -> User:
    target = unit.session.get(User, user_id)
    if target is None:
        raise NotFound(f"user {user_id} does not exist — list users at GET /api/v1/users")
    if target.id == user.id and body.role != user.role:
        raise ApiError(409, "you cannot change your own role — ask another super-manager")
    if body.role != target.role:  # what the user may see changes: their live streams reconnect for the new scope
        reason = f"your role changed to {body.role} — reconnect to /api/v1/stream for the new scope"
        unit.after(lambda: unit.ctx.streams.close_user(target.id, SCOPE_CHANGED, reason))
    return change_role(unit.session, target, body.role, actor=user.username)
