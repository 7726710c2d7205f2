"""Load a validated site config into the database, and rebuild the zone graph from it."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from mineguard.mine.graph import ZoneGraph, ZoneShape
from mineguard.mine.site import AssetConfig, SiteConfig
from mineguard.services.audit import log as audit
from mineguard.services.storage.models import Asset, Device, Site, Zone, ZoneLink

_ZONE_FIELDS = ("name", "kind", "cross_section_m2", "danger", "staff_limit", "location_name", "operating_procedure_id")


def sync_site(session: Session, site: SiteConfig, *, actor: str = "system") -> Site:
    """Insert the site's zones, links, assets and devices that are not in the database yet.

    The file seeds the twin; after the first load the database is the source of truth: rows
    that exist keep their values (live state, history, and settings changed at run time such as
    sensitivities and staff limits), except zone geometry (centre line, length), which follows
    the file, and which asset a sensor is mounted on. Starting zones of assets set their live zone
    but write no position history: the history starts with the first real fix. A machine gets its
    fixed place (``fixed_position``) as its live position unless it already has one.
    """
    row = session.get(Site, site.id)
    created = row is None
    if row is None:
        row = Site(id=site.id, name=site.name, timezone=site.timezone, sensitivity=site.sensitivity.model_dump())
        session.add(row)
    row.name, row.timezone, row.config = site.name, site.timezone, site.model_dump(mode="json")
    session.flush()
    for zone in site.zones:
        db_zone = session.get(Zone, zone.id)
        if db_zone is None:
            db_zone = Zone(id=zone.id, site_id=site.id, **{f: getattr(zone, f) for f in _ZONE_FIELDS})
            session.add(db_zone)
        elif created:
            for field in _ZONE_FIELDS:
                setattr(db_zone, field, getattr(zone, field))
        db_zone.path, db_zone.length_m = {"points": zone.path}, zone.length
    session.flush()
    existing_links = {(link.zone_a, link.zone_b) for link in session.scalars(select(ZoneLink))}
    for a, b in site.links:
        if (a, b) not in existing_links and (b, a) not in existing_links:
            session.add(ZoneLink(zone_a=a, zone_b=b))
            existing_links.add((a, b))
    graph = ZoneGraph.from_site(site)
    for asset in site.assets:
        db_asset = session.get(Asset, asset.id)
        if db_asset is None:
            db_asset = Asset(
                id=asset.id, site_id=site.id, name=asset.name, kind=asset.kind, crew=asset.crew, zone_id=asset.zone
            )
            session.add(db_asset)
        place = fixed_position(asset, graph)
        if place is not None and db_asset.x is None:  # a machine moved at run time keeps its place
            db_asset.x, db_asset.y, db_asset.z = place
    session.flush()
    for device in site.devices:
        db_device = session.get(Device, device.id)
        if db_device is not None:
            db_device.asset_id = device.asset  # what a sensor is mounted on follows the file
        else:
            x, y, z = device.position or (None, None, None)
            session.add(
                Device(
                    id=device.id,
                    site_id=site.id,
                    kind=device.kind,
                    zone_id=device.zone,
                    x=x,
                    y=y,
                    z=z,
                    sensor_kind=device.sensor_kind,
                    unit=device.unit,
                    barcode=device.barcode,
                    asset_id=device.asset,
                )
            )
    session.flush()
    if created:
        audit.append(
            session,
            actor=actor,
            action="site.loaded",
            subject=f"site:{site.id}",
            payload={
                "zones": len(site.zones),
                "assets": len(site.assets),
                "devices": len(site.devices),
                "sensitivity": site.sensitivity.model_dump(),
            },
        )
    return row


def fixed_position(asset: AssetConfig, graph: ZoneGraph) -> tuple[float, float, float] | None:
    """A machine's place: its ``position``, else the middle of its zone's centre line; None for others."""
    if asset.kind != "machine":
        return None
    if asset.position is not None:
        x, y, z = asset.position
    elif asset.zone is not None:
        x, y, z = graph.point_along(asset.zone, 0.5)
    else:
        return None
    return float(x), float(y), float(z)


def graph_from_db(session: Session) -> ZoneGraph:
    shapes = []
    for zone in session.scalars(select(Zone)):
        radius = float(np.sqrt(zone.cross_section_m2) / 2.0 + 1.0)
        shapes.append(ZoneShape(zone.id, np.asarray(zone.path["points"], dtype=float), radius))
    links = [(link.zone_a, link.zone_b) for link in session.scalars(select(ZoneLink))]
    return ZoneGraph(shapes, links)


def current_site(session: Session) -> Site:
    site = session.scalars(select(Site).order_by(Site.loaded_at)).first()
    if site is None:
        raise LookupError("no site loaded — start the service with a site file (MINEGUARD_SITE_FILE)")
    return site
