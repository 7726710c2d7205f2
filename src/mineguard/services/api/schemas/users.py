"""User accounts and their roles."""

from __future__ import annotations

from pydantic import Field

from mineguard.mine.roles import PERMISSIONS, Permission, Role
from mineguard.services.api.schemas.common import In, Out


class UserIn(In):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    crew: str | None = Field(default=None, max_length=64)
    asset_id: str | None = Field(default=None, max_length=64)


class RoleIn(In):
    role: Role


class UserOut(Out):
    id: int
    username: str
    role: Role
    crew: str | None
    asset_id: str | None
    active: bool


class MeOut(UserOut):
    """The logged-in user and what their role may do (the dashboard offers only these actions)."""

    permissions: list[Permission]

    @classmethod
    def of(cls, user: object) -> MeOut:
        public = UserOut.model_validate(user)
        return cls(**public.model_dump(), permissions=sorted(PERMISSIONS[public.role]))
