"""The rescue list as a PDF for printing on A4: one section per zone, one row per person underground.

Only the writer: the list itself, its role rules, scope and audit come from ``routes/rescue.py``
(the same :class:`RescueListOut` the JSON and CSV show), so a person outside the viewer's scope is
printed as "(not in your scope)" with no id, crew or position, exactly as in the CSV.

Written with ReportLab (BSD licence, pinned in ``pyproject.toml``) and its built-in Helvetica,
which covers Latin-1 text; names in other scripts need a TrueType font registered here.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mineguard.services.api.schemas.rescue import HIDDEN_NAME, RescueListOut, RescuePersonOut

HEADER = ["Person", "Crew", "Last seen", "Position (m)", "Nearest refuge", "Notes"]
WIDTHS_MM = [36, 18, 28, 28, 42, 30]  # 182 mm: A4 (210 mm) less 14 mm margins


def render_rescue_pdf(listing: RescueListOut, *, site_name: str, zone: str | None = None) -> bytes:
    """The PDF bytes of ``listing``: title (site, time), counts, then per zone its people."""
    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=8, leading=10)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"Rescue list — {site_name}",
        author="MineGuard",
    )
    story = [
        Paragraph(escape(f"Rescue list — {site_name}"), styles["Title"]),
        Paragraph(escape(f"Underground at {_when(listing.at)}" + (f", zone {zone} only" if zone else "")), cell),
        Paragraph(escape(_counts(listing)), cell),
        Spacer(1, 4 * mm),
    ]
    by_zone: dict[tuple[str | None, str | None], list[RescuePersonOut]] = defaultdict(list)
    for person in listing.people:
        by_zone[(person.zone_id, person.zone_name)].append(person)
    if not by_zone:
        story.append(Paragraph("Nobody is underground.", styles["Heading2"]))
    for (zone_id, zone_name), people in by_zone.items():
        heading = f"{zone_name or zone_id or 'Zone unknown'} ({zone_id or '-'}) — {len(people)} underground"
        story.append(Paragraph(escape(heading), styles["Heading2"]))
        rows = [[Paragraph(f"<b>{escape(h)}</b>", cell) for h in HEADER]]
        rows += [[Paragraph(escape(text), cell) for text in _row(person)] for person in people]
        table = Table(rows, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 3 * mm)]
    doc.build(story)
    return buffer.getvalue()


def _counts(listing: RescueListOut) -> str:
    zones = ", ".join(f"{z.zone_name or z.zone_id or 'unknown'} {z.count}" for z in listing.zones)
    hidden = f" ({listing.hidden} not in your scope: counted, not named)" if listing.hidden else ""
    return f"{listing.total} people underground{hidden}" + (f" — {zones}" if zones else "")


def _row(person: RescuePersonOut) -> list[str]:
    who = f"{person.name} ({person.person_id})" if person.person_id else HIDDEN_NAME
    seen = _when(person.last_seen) if person.last_seen else "never"
    where = ", ".join(f"{v:.1f}" for v in person.position) if person.position else ""
    refuge = person.refuge
    way = f"{refuge.name} — {refuge.hops} hop(s): {' > '.join(refuge.route)}" if refuge else "none reachable"
    return [who, person.crew or "", seen, where, way, ", ".join(m.replace("_", " ") for m in person.mismatches)]


def _when(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
