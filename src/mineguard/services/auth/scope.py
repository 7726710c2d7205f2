"""Which people a user may see (seed 004 §3.1.4): operators themselves, supervisors their crew,
managers everyone. Machines and materials are visible from supervisor up."""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from mineguard.services.auth.roles import Permission, can
from mineguard.services.storage.models import Asset, User


def visible_assets(user: User) -> Select[tuple[Asset]]:
    query = select(Asset).order_by(Asset.id)
    if can(user.role, Permission.VIEW_ALL_STAFF):
        return query
    own = Asset.id == (user.asset_id or "")
    if can(user.role, Permission.VIEW_CREW):
        return query.where(or_(own, Asset.kind != "person", (Asset.crew == user.crew) & (Asset.crew.is_not(None))))
    return query.where(own)


def may_see(user: User, asset: Asset) -> bool:
    if can(user.role, Permission.VIEW_ALL_STAFF) or asset.id == user.asset_id:
        return True
    if can(user.role, Permission.VIEW_CREW):
        return asset.kind != "person" or (asset.crew is not None and asset.crew == user.crew)
    return False
