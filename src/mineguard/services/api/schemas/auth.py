"""Log in: the credentials and the bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from mineguard.mine.roles import Role
from mineguard.services.api.schemas.common import In, Out


class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: Role
