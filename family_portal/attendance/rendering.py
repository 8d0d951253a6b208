"""The rows of a check-in list, built in Python: through the template engine a list of
300 children took 450 ms (benchmarks/attendance.py). A row carries the child's name,
badges and data attributes only; the page's script (static/attendance/checkin.js) adds
the buttons and time fields from the page's ``<template>`` elements, the same for every
row. Every value is escaped by ``format_html``."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from family_portal.bookings.models import AbsenceReport

from .services import Row

LATE = '<span class="badge badge--late" data-late{}>Départ tardif</span>'


def _absence(row: Row) -> str:
    if row.absence is None:
        return ""
    if row.justifiable:
        text = "Absence justifiée (certificat accepté)"
    elif row.absence.status == AbsenceReport.Status.PENDING:
        text = "Absent signalé, certificat à vérifier"
    else:
        text = "Absent signalé par la famille"
    return f'<span class="badge badge--absence">{text}</span>'


def _care(row: Row) -> str:
    """The photo (the name beside it says who: an empty alt), the diet and the health
    notes of the family file."""
    html = ""
    if row.diet:
        html += format_html(
            '<span class="badge badge--diet">Régime : {}</span>', row.diet
        )
    if row.health_notes:
        html += format_html(
            '<span class="child__health"><strong>Santé :</strong> {}</span>',
            row.health_notes,
        )
    return html


def _photo(row: Row) -> str:
    if not row.photo_url:
        return (
            '<span class="child__photo child__photo--none" aria-hidden="true"></span>'
        )
    return format_html(
        '<img class="child__photo" src="{}" alt="" width="56" height="56">',
        row.photo_url,
    )


def row_html(row: Row) -> str:
    """One child's row: photo, first name and initial, badges, diet and health notes
    (from the family file), and what the script needs
    (``data-timed``: arrival and departure; ``data-justifiable``: the certificate was
    accepted; ``data-closed``: the service did not run)."""
    flags = (
        (" data-timed" if row.timed else "")
        + (" data-closed" if row.closed else "")
        + (" data-justifiable" if row.justifiable else "")
    )
    badges = (
        ("" if row.booked else '<span class="badge">Sans réservation</span>')
        + ('<span class="badge">Service fermé</span>' if row.closed else "")
        + _absence(row)
        + LATE.format("" if row.late else " hidden")
    )
    return format_html(
        '<li class="child" id="enfant-{pk}" data-enrolment="{pk}"{flags}>{photo}'
        '<div class="child__who"><span class="child__name" id="nom-{pk}">{name}</span>'
        '{badges}{care}<span class="child__state" data-state></span></div></li>',
        pk=row.enrolment_id,
        flags=mark_safe(flags),  # noqa: S308 - constants
        photo=mark_safe(_photo(row)),  # noqa: S308 - format_html
        name=f"{row.first_name} {row.initial}".strip(),
        badges=mark_safe(badges),  # noqa: S308 - constants
        care=mark_safe(_care(row)),  # noqa: S308 - format_html
    )


def rows_html(rows) -> SafeString:
    return mark_safe("".join(row_html(row) for row in rows))  # noqa: S308 - format_html
