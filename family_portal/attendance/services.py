"""Who may tick which list, what a day's list shows, and what billing reads.

- ``sites_for(user)``, ``check_site(user, site_id)``: an animateur reaches the sites he
  is assigned to, an agent holding ``attendance.manage_attendance`` every site.
- ``day_list(site, session, day)``: the check-in list (booked children first, then the
  children who came without booking, then those who may still be added), with only what
  the list needs: first name and initial, photo, diet and health notes (from the family
  file), the booked times, the day's absence report; never QF, prices, documents or
  addresses.
- ``presences_for(schedule, month)``: for billing, per child and session date, the
  status ``present``, ``absent``, ``absent_justified``, ``unchecked`` or ``closed``, the
  arrival and departure times, whether the mark was corrected after the month was closed,
  and whether the month is closed.

Recording taps is in ``taps.py``; closing a session or a month in ``closing.py``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    ServiceSchedule,
    ServiceSession,
)
from family_portal.bookings.services import ACTIVE_ENROLMENTS, TIME_UNITS, month_grid
from family_portal.models import Enrolment, describe_diet, photo_version

from .groups import can_check_in, manages_attendance
from .models import AttendanceSite, Mark, MonthClosing

BOOKED_STATES = (Booking.Status.BOOKED, Booking.Status.CLOSED)


# --- who reaches what ----------------------------------------------------------------


def sites_for(user):
    """The sites whose lists ``user`` may open: every site for an agent, the assigned
    ones for an animateur, none for anybody else (parents)."""
    if manages_attendance(user):
        return AttendanceSite.objects.all()
    if can_check_in(user):
        return user.attendance_sites.all()
    return AttendanceSite.objects.none()


def check_site(user, site_id) -> AttendanceSite:
    """The site, if ``user`` may tick its lists: 403 otherwise (a parent, an animateur
    of another site), 404 for a site that does not exist."""
    if not can_check_in(user) and not manages_attendance(user):
        raise PermissionDenied
    site = AttendanceSite.objects.filter(pk=site_id).first()
    if site is None:
        raise Http404("Ce lieu d'accueil n'existe pas.")
    if not sites_for(user).filter(pk=site.pk).exists():
        raise PermissionDenied
    return site


def check_session(site: AttendanceSite, session_id) -> ServiceSession:
    session = (
        ServiceSession.objects.select_related("schedule__period__activity")
        .filter(pk=session_id, schedule__attendance_sites=site)
        .first()
    )
    if session is None:
        raise Http404("Cette séance n'a pas lieu dans ce lieu d'accueil.")
    return session


def serves(site: AttendanceSite, child, schools: set[str] | None = None) -> bool:
    """Whether ``site`` receives ``child`` (its schools, or every child)."""
    schools = site.school_names() if schools is None else schools
    return not schools or (child.school or "").strip().casefold() in schools


def site_of(child, sites) -> AttendanceSite | None:
    """The site among ``sites`` (hosting one service) that receives ``child``: the one
    listing the child's school, else the one receiving everybody."""
    fallback = None
    for site in sites:
        schools = site.school_names()
        if not schools:
            fallback = fallback or site
        elif serves(site, child, schools):
            return site
    return fallback


def sessions_on(site: AttendanceSite, day: datetime.date) -> list[ServiceSession]:
    """The sessions the site's services run on ``day``."""
    sessions = []
    schedules = site.schedules.select_related("period__activity").prefetch_related(
        "sessions", "changes"
    )
    for schedule in schedules:
        if any(d.runs for d in month_grid(schedule, day, day)):
            sessions.extend(schedule.sessions.all())
    return sorted(
        sessions, key=lambda s: (s.starts, s.schedule.period.activity.title, s.name)
    )


def month_closing(schedule_id: int, day: datetime.date) -> MonthClosing | None:
    return (
        MonthClosing.objects.in_force()
        .filter(schedule_id=schedule_id, month=day.replace(day=1))
        .first()
    )


# --- the day's list ------------------------------------------------------------------


def _hhmm(value: datetime.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds") if value else None


@dataclass
class Row:
    enrolment_id: int
    first_name: str
    initial: str
    booked: bool
    closed: bool
    timed: bool
    mark: Mark | None
    absence: AbsenceReport | None = None
    late: bool = False
    diet: str = ""  # as the animateur reads it: "Sans porc", "Autre régime : …"
    health_notes: str = ""
    photo_url: str = ""

    @property
    def justifiable(self) -> bool:
        return (
            self.absence is not None
            and self.absence.status == AbsenceReport.Status.JUSTIFIED
        )

    def state(self) -> dict:
        """What the tablet merges its own taps with: each field and its tap's time."""
        mark = self.mark
        return {
            "enrolment": self.enrolment_id,
            "status": mark.status if mark else "",
            "status_at": _iso(mark.status_at) if mark else None,
            "arrival": _hhmm(mark.arrival) if mark else "",
            "arrival_at": _iso(mark.arrival_at) if mark else None,
            "departure": _hhmm(mark.departure) if mark else "",
            "departure_at": _iso(mark.departure_at) if mark else None,
            "booked": self.booked,
            "closed": self.closed,
            "late": self.late,
        }


@dataclass
class DayList:
    site: AttendanceSite
    session: ServiceSession
    day: datetime.date
    booked: list[Row] = field(default_factory=list)
    unbooked: list[Row] = field(default_factory=list)  # came without booking
    addable: list[Row] = field(default_factory=list)  # enrolled, may still come
    closing: MonthClosing | None = None

    @property
    def rows(self) -> list[Row]:
        return self.booked + self.unbooked

    @property
    def closed(self) -> bool:
        return bool(self.booked) and all(row.closed for row in self.booked)

    @property
    def timed(self) -> bool:
        return any(row.timed for row in self.rows + self.addable)

    def states(self) -> list[dict]:
        return [row.state() for row in self.rows + self.addable]

    def photo_urls(self) -> list[str]:
        """The photos of the list, which a tablet keeps with it for offline use."""
        return [row.photo_url for row in self.rows + self.addable if row.photo_url]

    def counts(self) -> dict:
        rows = self.rows
        return {
            "booked": len(self.booked),
            "present": sum(1 for r in rows if r.mark and r.mark.status == "present"),
            "absent": sum(
                1 for r in rows if r.mark and r.mark.status.startswith("absent")
            ),
            "unchecked": sum(
                1
                for r in self.booked
                if not r.closed and not (r.mark and r.mark.status)
            ),
        }


def is_late(mark: Mark | None, session: ServiceSession, day, now=None) -> bool:
    """A late pick-up: the child left after the session's end, or is still there
    (present, no departure) once it has ended."""
    if mark is None or mark.status != Mark.Status.PRESENT:
        return False
    if mark.departure is not None:
        return mark.departure > session.ends
    now = timezone.localtime(now or timezone.now())
    return (now.date(), now.time()) > (day, session.ends)


@dataclass(frozen=True)
class Enrolled:
    """What a list needs of an enrolment and its child (read as plain values: a list
    of 300 children is read at every tablet's refresh)."""

    pk: int
    status: str
    unit: str
    child_id: int
    first_name: str
    last_name: str
    school: str
    diet: str = ""
    diet_details: str = ""
    health_notes: str = ""
    photo: str = ""

    @property
    def diet_text(self) -> str:
        return describe_diet(self.diet, self.diet_details)


def photo_url(site_id: int, enrolled: Enrolled) -> str:
    """Where the list's animateurs get a child's photo; "" without one. The URL changes
    with the photo (its random file name), so a tablet's copy is never stale."""
    if not enrolled.photo:
        return ""
    url = reverse("attendance:photo", args=[site_id, enrolled.pk])
    return f"{url}?v={photo_version(enrolled.photo)}"


def served_enrolment(site: AttendanceSite, enrolment_id) -> Enrolled | None:
    """One enrolment of a service the site hosts, if the site receives its child."""
    for schedule in site.schedules.all():
        for enrolled in served_enrolments(site, schedule, enrolment_id=enrolment_id):
            return enrolled
    return None


def served_enrolments(
    site: AttendanceSite, schedule: ServiceSchedule, *, enrolment_id=None
) -> list[Enrolled]:
    """The enrolments of the service's period whose child this site receives."""
    enrolments = Enrolment.objects.filter(period_id=schedule.period_id)
    if enrolment_id is not None:
        enrolments = enrolments.filter(pk=enrolment_id)
    enrolled = [
        Enrolled(*values)
        for values in enrolments.values_list(
            "pk",
            "status",
            "unit",
            "child_id",
            "child__first_name",
            "child__last_name",
            "child__school",
            "child__diet",
            "child__diet_details",
            "child__health_notes",
            "child__photo",
        )
    ]
    schools = site.school_names()
    if schools:
        # Rows of other sites are left out in Python: schools are written by hand.
        return [e for e in enrolled if (e.school or "").strip().casefold() in schools]
    return enrolled


def day_list(
    site: AttendanceSite, session: ServiceSession, day: datetime.date, now=None
) -> DayList:
    schedule = session.schedule
    enrolments = served_enrolments(site, schedule)
    # The whole session's rows, sorted out in Python: simpler SQL than 300 ids.
    bookings = dict(
        Booking.objects.filter(session=session, date=day).values_list(
            "enrolment_id", "status"
        )
    )
    marks = {m.enrolment_id: m for m in Mark.objects.filter(session=session, date=day)}
    children = {e.child_id for e in enrolments}
    absences = {}
    for report in AbsenceReport.objects.filter(
        first_day__lte=day, last_day__gte=day
    ).order_by("reported_at"):
        if report.child_id not in children:
            continue
        kept = absences.get(report.child_id)
        # A justified report outweighs the others; otherwise the latest one.
        if kept is None or kept.status != AbsenceReport.Status.JUSTIFIED:
            absences[report.child_id] = report
    result = DayList(site, session, day, closing=month_closing(schedule.pk, day))
    now = now or timezone.now()
    for enrolment in sorted(
        enrolments, key=lambda e: (e.first_name.casefold(), e.last_name)
    ):
        status = bookings.get(enrolment.pk)
        mark = marks.get(enrolment.pk)
        booked = status in BOOKED_STATES
        row = Row(
            enrolment_id=enrolment.pk,
            first_name=enrolment.first_name,
            initial=f"{enrolment.last_name[:1]}." if enrolment.last_name else "",
            booked=booked,
            closed=status == Booking.Status.CLOSED,
            timed=enrolment.unit.strip().lower() in TIME_UNITS,
            mark=mark,
            absence=absences.get(enrolment.child_id),
            late=is_late(mark, session, day, now),
            diet=enrolment.diet_text,
            health_notes=enrolment.health_notes,
            photo_url=photo_url(site.pk, enrolment),
        )
        if booked:
            result.booked.append(row)
        elif mark is not None and mark.status:
            result.unbooked.append(row)
        elif enrolment.status in ACTIVE_ENROLMENTS:
            result.addable.append(row)
    return result


# --- what billing reads --------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    """One child's session on a day, as billing reads it."""

    enrolment_id: int
    child_id: int
    session_id: int
    date: datetime.date
    booked: bool  # a booking that is (or was, before a closure) in force
    status: str  # present, absent, absent_justified, unchecked, closed
    arrival: datetime.time | None
    departure: datetime.time | None
    corrected: bool  # changed after the month was closed: a correction to bill


@dataclass(frozen=True)
class MonthPresences:
    month: datetime.date  # its first day
    closed: bool
    closed_at: datetime.datetime | None
    presences: list[Presence]


def month_bounds(month) -> tuple[datetime.date, datetime.date]:
    """The first and last days of ``month`` (a date in it, or "YYYY-MM")."""
    if isinstance(month, str):
        month = datetime.date.fromisoformat(f"{month}-01")
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def presences_for(
    schedule: ServiceSchedule, month, enrolment_ids=None
) -> MonthPresences:
    """Every booked session and every mark of the service's ``month``, in date order:
    a booked child nobody ticked is ``unchecked``, a mark without booking is a
    presence (or absence) without booking, a session the service did not run is
    ``closed``. Cancelled bookings appear only when the child was ticked anyway.

    ``enrolment_ids`` limits the month to those enrolments (billing reads a batch of
    families at a time: reading the whole service for each batch made a large city's
    run quadratic). Rows are read as plain values, not model instances."""
    first, last = month_bounds(month)
    in_month = {"session__schedule": schedule, "date__range": (first, last)}
    if enrolment_ids is not None:
        in_month["enrolment_id__in"] = list(enrolment_ids)
    bookings = {
        (enrolment, session, day): (status, child)
        for enrolment, session, day, status, child in Booking.objects.filter(
            **in_month
        ).values_list(
            "enrolment_id", "session_id", "date", "status", "enrolment__child_id"
        )
    }
    marks = {
        (enrolment, session, day): (status, arrival, departure, corrected, child)
        for enrolment, session, day, status, arrival, departure, corrected, child in (
            Mark.objects.filter(**in_month).values_list(
                "enrolment_id",
                "session_id",
                "date",
                "status",
                "arrival",
                "departure",
                "corrected",
                "enrolment__child_id",
            )
        )
    }
    presences = []
    for key in sorted(set(bookings) | set(marks), key=lambda k: (k[2], k[1], k[0])):
        booking, mark = bookings.get(key), marks.get(key)
        booked = booking is not None and booking[0] in BOOKED_STATES
        if booking is not None and booking[0] == Booking.Status.CLOSED:
            status = "closed"
        elif mark is not None and mark[0]:
            status = mark[0]
        elif booked:
            status = "unchecked"
        else:
            continue  # cancelled and nobody came
        presences.append(
            Presence(
                enrolment_id=key[0],
                child_id=(booking or mark)[-1],
                session_id=key[1],
                date=key[2],
                booked=booked,
                status=status,
                arrival=mark[1] if mark else None,
                departure=mark[2] if mark else None,
                corrected=bool(mark and mark[3]),
            )
        )
    closing = month_closing(schedule.pk, first)
    return MonthPresences(
        month=first,
        closed=closing is not None,
        closed_at=closing.closed_at if closing else None,
        presences=presences,
    )
