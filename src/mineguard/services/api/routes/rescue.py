"""The rescue list: who is underground now, by zone, last seen where and when, nearest refuge.

Supervisors and up may read it (:data:`Permission.VIEW_CREW`); names, ids and positions follow the
person scope (``services/auth/scope.py``): a supervisor sees their crew by name and everyone else
underground counted per zone, a manager sees everyone. Every view, JSON, CSV or PDF, is written to
the audit log with what it showed. The three share one list (``_viewed``); only the writer differs
(the PDF's is ``services/api/rescue_pdf.py``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from mineguard.mine.roles import Permission
from mineguard.services.api.deps import UnitDep, require
from mineguard.services.api.errors import ApiError
from mineguard.services.api.rescue_pdf import render_rescue_pdf
from mineguard.services.api.responses import raises
from mineguard.services.api.schemas.rescue import (
    HIDDEN_NAME,
    RefugeOut,
    RescueListOut,
    RescuePersonOut,
    ZoneCountOut,
)
from mineguard.services.audit import log as audit
from mineguard.services.auth.scope import visible_assets
from mineguard.services.ingest.schema import ID_PATTERN
from mineguard.services.storage.models import Site, User, Zone
from mineguard.services.storage.types import utc_now
from mineguard.services.twin.headcount import RescueEntry, headcount_site, rescue_list

router = APIRouter(prefix="/api/v1", tags=["rescue"])
View = require(Permission.VIEW_CREW)
ZoneFilter = Annotated[
    str | None, Query(pattern=ID_PATTERN, description="only people last seen in this zone (a zone id)")
]
CSV_COLUMNS = [
    "zone_id",
    "zone_name",
    "person_id",
    "name",
    "crew",
    "last_seen",
    "x",
    "y",
    "z",
    "since",
    "due_out",
    "mismatches",
    "refuge_id",
    "refuge_hops",
    "refuge_route",
]


@router.get("/rescue-list", response_model=RescueListOut, summary="Everyone underground now, by zone")
@raises(404, 409)
def read_rescue_list(unit: UnitDep, zone: ZoneFilter = None, user: User = View) -> RescueListOut:
    return _viewed(unit, user, zone, "json")


@router.get(
    "/rescue-list.csv",
    response_class=Response,
    summary="The rescue list as CSV, one row per person underground",
    responses={200: {"content": {"text/csv": {}}}},
)
@raises(404, 409)
def read_rescue_list_csv(unit: UnitDep, zone: ZoneFilter = None, user: User = View) -> Response:
    listing = _viewed(unit, user, zone, "csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for person in listing.people:
        x, y, z = person.position or ("", "", "")
        refuge = person.refuge
        writer.writerow(
            [
                person.zone_id or "",
                person.zone_name or "",
                person.person_id or "",
                person.name or HIDDEN_NAME,
                person.crew or "",
                person.last_seen.isoformat() if person.last_seen else "",
                x,
                y,
                z,
                person.since.isoformat() if person.since else "",
                person.due_out.isoformat() if person.due_out else "",
                " ".join(person.mismatches),
                refuge.zone_id if refuge else "",
                refuge.hops if refuge else "",
                " ".join(refuge.route) if refuge else "",
            ]
        )
    filename = f"rescue-list-{listing.at:%Y%m%dT%H%M%SZ}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/rescue-list.pdf",
    response_class=Response,
    summary="The rescue list as a PDF to print (A4), one section per zone",
    responses={200: {"content": {"application/pdf": {}}}},
)
@raises(404, 409)
def read_rescue_list_pdf(unit: UnitDep, zone: ZoneFilter = None, user: User = View) -> Response:
    listing = _viewed(unit, user, zone, "pdf")
    site = unit.session.get(Site, unit.ctx.site_id)
    pdf = render_rescue_pdf(listing, site_name=site.name if site else unit.ctx.site_id, zone=zone)
    filename = f"rescue-list-{listing.at:%Y%m%dT%H%M%SZ}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _viewed(unit: UnitDep, user: User, zone: str | None, fmt: str) -> RescueListOut:
    session, now = unit.session, utc_now()
    if zone is not None and session.get(Zone, zone) is None:
        raise ApiError(404, f"zone {zone!r} does not exist — list zones at GET /api/v1/zones")
    site = headcount_site(session, unit.ctx.site_id)
    if site is None:
        raise ApiError(
            409, "this site has no headcount — add the 'headcount:' section (gates, alerts) to the site file"
        )
    entries = [e for e in rescue_list(session, site, unit.ctx.graph, now) if zone is None or e.zone_id == zone]
    allowed = {asset.id for asset in session.scalars(visible_assets(user))}
    zone_names = dict(session.execute(select(Zone.id, Zone.name)).all())
    people = [_person(entry, entry.person.asset.id in allowed, zone_names) for entry in entries]
    counts = Counter((entry.zone_id, entry.zone_name) for entry in entries)
    listing = RescueListOut(
        at=now,
        total=len(people),
        hidden=sum(person.person_id is None for person in people),
        zones=[ZoneCountOut(zone_id=z, zone_name=name, count=n) for (z, name), n in counts.items()],
        people=people,
    )
    audit.append(
        session,
        actor=user.username,
        action="rescue_list.viewed",
        subject=f"site:{unit.ctx.site_id}",
        payload={
            "format": fmt,
            "zone": zone,
            "total": listing.total,
            "named": [p.person_id for p in people if p.person_id],
        },
    )
    return listing


def _person(entry: RescueEntry, named: bool, zone_names: dict[str, str]) -> RescuePersonOut:
    presence, asset, route = entry.person.presence, entry.person.asset, entry.refuge_route
    refuge = (
        RefugeOut(zone_id=route[-1], name=zone_names.get(route[-1], route[-1]), route=route, hops=len(route) - 1)
        if route
        else None
    )
    return RescuePersonOut(
        person_id=asset.id if named else None,
        name=asset.name if named else None,
        crew=asset.crew if named else None,
        zone_id=entry.zone_id,
        zone_name=entry.zone_name,
        last_seen=presence.last_seen,
        position=list(presence.last_position) if named and presence.last_position else None,
        since=presence.since if named else None,
        due_out=presence.due_out if named else None,
        mismatches=sorted(presence.mismatches) if named else [],
        refuge=refuge,
    )
