"""The agents' month of a service: what is still unchecked, the presences without
booking, the late pick-ups, the corrections and the sessions not run, for every site or
one; and its export per site (CSV, the way spreadsheets in France read it)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.utils import timezone

from family_portal.bookings.models import ServiceSchedule
from family_portal.models import Enrolment

from .models import AttendanceSite, Mark, SessionClosure
from .services import month_bounds, presences_for, site_of

STATUS_LABELS = {
    "present": "Présent",
    "absent": "Absent",
    "absent_justified": "Absence justifiée",
    "unchecked": "Non pointé",
    "closed": "Service fermé",
}


@dataclass
class Line:
    date: datetime.date
    session: object
    enrolment: Enrolment
    site: AttendanceSite | None
    booked: bool
    status: str
    arrival: datetime.time | None
    departure: datetime.time | None
    corrected: bool
    late: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class MonthReport:
    schedule: ServiceSchedule
    month: datetime.date
    closed: bool
    closed_at: datetime.datetime | None
    site: AttendanceSite | None
    sites: list[AttendanceSite]
    lines: list[Line] = field(default_factory=list)
    closures: list[SessionClosure] = field(default_factory=list)

    def unchecked(self, today=None) -> list[Line]:
        """Booked sessions nobody ticked, on days already gone (today included)."""
        today = today or timezone.localdate()
        return [
            line
            for line in self.lines
            if line.status == "unchecked" and line.date <= today
        ]

    @property
    def unbooked(self) -> list[Line]:
        return [
            line for line in self.lines if not line.booked and line.status == "present"
        ]

    @property
    def late(self) -> list[Line]:
        return [line for line in self.lines if line.late]

    @property
    def corrections(self) -> list[Line]:
        return [line for line in self.lines if line.corrected]


def month_report(
    schedule: ServiceSchedule, month, site: AttendanceSite | None = None
) -> MonthReport:
    """The service's month as billing will read it (``presences_for``), each line with
    its site, for every site or only ``site``."""
    first, last = month_bounds(month)
    presences = presences_for(schedule, first)
    sites = list(schedule.attendance_sites.all())
    sessions = {s.pk: s for s in schedule.sessions.all()}
    enrolments = Enrolment.objects.select_related("child").in_bulk(
        {p.enrolment_id for p in presences.presences}
    )
    marks = {
        (m.enrolment_id, m.session_id, m.date): m.site_id
        for m in Mark.objects.filter(
            session__schedule=schedule, date__range=(first, last)
        ).only("enrolment_id", "session_id", "date", "site_id")
    }
    by_pk = {s.pk: s for s in sites}
    report = MonthReport(
        schedule=schedule,
        month=first,
        closed=presences.closed,
        closed_at=presences.closed_at,
        site=site,
        sites=sites,
    )
    for presence in presences.presences:
        enrolment = enrolments[presence.enrolment_id]
        session = sessions[presence.session_id]
        key = (presence.enrolment_id, presence.session_id, presence.date)
        where = by_pk.get(marks.get(key)) or site_of(enrolment.child, sites)
        if site is not None and where != site:
            continue
        report.lines.append(
            Line(
                date=presence.date,
                session=session,
                enrolment=enrolment,
                site=where,
                booked=presence.booked,
                status=presence.status,
                arrival=presence.arrival,
                departure=presence.departure,
                corrected=presence.corrected,
                late=presence.status == "present"
                and presence.departure is not None
                and presence.departure > session.ends,
            )
        )
    closures = SessionClosure.objects.filter(
        session__schedule=schedule, date__range=(first, last)
    ).select_related("session", "site", "closed_by", "undone_by")
    if site is not None:
        closures = closures.filter(site=site)
    report.closures = list(closures)
    return report


CSV_HEADER = [
    "Date",
    "Séance",
    "Lieu",
    "Enfant",
    "Réservé",
    "Présence",
    "Arrivée",
    "Départ",
    "Départ tardif",
    "Corrigé après clôture",
]


def export_csv(report: MonthReport) -> str:
    """The month's lines, one per child and session date; ``;``-separated with a BOM
    so that a spreadsheet opens the accents and columns right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_HEADER)
    for line in report.lines:
        child = line.enrolment.child
        writer.writerow(
            [
                line.date.strftime("%d/%m/%Y"),
                line.session.name,
                line.site.name if line.site else "",
                f"{child.first_name} {child.last_name}",
                "oui" if line.booked else "non",
                line.status_label,
                line.arrival.strftime("%H:%M") if line.arrival else "",
                line.departure.strftime("%H:%M") if line.departure else "",
                "oui" if line.late else "non",
                "oui" if line.corrected else "non",
            ]
        )
    return out.getvalue()
