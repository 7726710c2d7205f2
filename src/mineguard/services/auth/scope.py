"""Which people a user may see (seed 004 §3.1.4): operators themselves, supervisors their crew,
managers everyone. Machines and materials are visible from supervisor up.

This is the one home of that rule. Everything that carries data about a person goes through it:
the person's asset itself (:func:`visible_assets`, :func:`may_see`), a wearable tag paired to the
person (its position *is* the person's), and rows that name the person by asset id (events, help
calls, alerts): :func:`person_visible` filters them in SQL, :func:`may_see_person` checks one.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session

from mineguard.mine.roles import Permission, can
from mineguard.services.storage.models import Asset, Device, User

SCOPE_RULE = "operators see themselves, supervisors their crew, managers everyone"


def _sees(user: User) -> ColumnElement[bool]:
    """SQL condition on :class:`Asset` rows the user may see."""
    if can(user.role, Permission.VIEW_ALL_STAFF):
        return true()
    own = Asset.id == (user.asset_id or "")
    if can(user.role, Permission.VIEW_CREW):
        return or_(own, Asset.kind != "person", and_(Asset.crew == user.crew, Asset.crew.is_not(None)))
    return own


def visible_assets(user: User) -> Select[tuple[Asset]]:
    return select(Asset).where(_sees(user)).order_by(Asset.id)


def may_see(user: User, asset: Asset) -> bool:
    if can(user.role, Permission.VIEW_ALL_STAFF) or asset.id == user.asset_id:
        return True
    if can(user.role, Permission.VIEW_CREW):
        return asset.kind != "person" or (asset.crew is not None and asset.crew == user.crew)
    return False


def _hidden_people(user: User) -> Select[tuple[str]]:
    return select(Asset.id).where(Asset.kind == "person", ~_sees(user))


def person_visible(user: User, asset_id: ColumnElement) -> ColumnElement[bool]:
    """SQL condition: the row's ``asset_id`` (NULL allowed) is not a person hidden from the user."""
    if can(user.role, Permission.VIEW_ALL_STAFF):
        return true()
    return or_(asset_id.is_(None), asset_id.not_in(_hidden_people(user)))


def device_visible(user: User, device_id: ColumnElement) -> ColumnElement[bool]:
    """SQL condition: the row's ``device_id`` (NULL allowed) is not a tag worn by a person hidden from the user."""
    if can(user.role, Permission.VIEW_ALL_STAFF):
        return true()
    worn = select(Device.id).where(Device.paired_asset_id.in_(_hidden_people(user)))
    return or_(device_id.is_(None), device_id.not_in(worn))


def visible_devices(user: User) -> Select[tuple[Device]]:
    """Devices the user may see: all but the tags paired to people outside the user's scope."""
    return select(Device).where(person_visible(user, Device.paired_asset_id)).order_by(Device.id)


def may_see_person(session: Session, user: User, asset_id: str | None) -> bool:
    """Whether a row naming ``asset_id`` may be shown: no asset, not a person, or a person in scope."""
    if asset_id is None or can(user.role, Permission.VIEW_ALL_STAFF):
        return True
    asset = session.get(Asset, asset_id)
    return asset is None or asset.kind != "person" or may_see(user, asset)


def may_see_device(session: Session, user: User, device: Device) -> bool:
    return may_see_person(session, user, device.paired_asset_id)


def may_see_subject(session: Session, user: User, subject_id: str | None) -> bool:
    """Whether a row about ``subject_id`` (an asset or a device id, as alerts name them) may be shown."""
    if subject_id is None or can(user.role, Permission.VIEW_ALL_STAFF):
        return True
    device = session.get(Device, subject_id)
    return may_see_person(session, user, subject_id) and (device is None or may_see_device(session, user, device))


def stream_scopes(session: Session, asset_ids: Iterable[str | None]) -> dict[str, dict[str, str | None]]:
    """``TwinEvent`` keywords (``asset_id``, ``crew``) for each id that is a person: a live event about
    the person carries them, so the stream shows it only to those who may see the person."""
    wanted = {asset_id for asset_id in asset_ids if asset_id}
    if not wanted:
        return {}
    rows = session.execute(select(Asset.id, Asset.crew).where(Asset.id.in_(wanted), Asset.kind == "person"))
    return {asset_id: {"asset_id": asset_id, "crew": crew} for asset_id, crew in rows}
