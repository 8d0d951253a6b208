"""Daily headcounts for agents and the kitchen: how many children are booked per day,
activity, site and session, how many of them are reported absent, and so how many to
expect (meals to cook per school tomorrow).

One grouped query over the day's bookings, whatever the number of children; days a
service does not run (an agent closed it after the families booked) are left out of the
counts and listed apart, with their reason.

Diets: the query groups by the child's diet (``Child.diet``, named in ``DIET_FIELD``),
each line's ``diets`` counts the meals per diet, and the screen and the exports show
them (the column appears as soon as one line has a diet).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, FilteredRelation, Q

from activities.service_calendar import describe_day
from family_portal.models import describe_diet

from .models import Booking, ServiceSession, SiteSource
from .services import calendar_settings, service_calendar

# The Child field holding the child's diet.
DIET_FIELD: str | None = "diet"
NO_SCHOOL = "École non renseignée"
LONGEST = 31  # days in one headcount


@dataclass
class HeadcountLine:
    day: datetime.date
    activity: str
    session: str
    starts: datetime.time
    site: str
    booked: int = 0
    absent: int = 0
    diets: Counter = field(default_factory=Counter)

    @property
    def expected(self) -> int:
        return self.booked - self.absent

    @property
    def diets_text(self) -> str:
        return ", ".join(
            f"{describe_diet(code)} : {count}"
            for code, count in sorted(self.diets.items())
        )


@dataclass
class ClosedDay:
    day: datetime.date
    activity: str
    reason: str
    booked: int


@dataclass
class Headcount:
    first: datetime.date
    last: datetime.date
    lines: list[HeadcountLine]
    closed: list[ClosedDay]

    @property
    def has_diets(self) -> bool:
        return any(line.diets for line in self.lines)

    def days(self):
        """(day, its lines, its totals) in date order, for the screen."""
        by_day: dict[datetime.date, list[HeadcountLine]] = {}
        for line in self.lines:
            by_day.setdefault(line.day, []).append(line)
        for day, lines in sorted(by_day.items()):
            yield (
                day,
                lines,
                {
                    "booked": sum(line.booked for line in lines),
                    "absent": sum(line.absent for line in lines),
                    "expected": sum(line.expected for line in lines),
                },
            )


def headcounts(
    first: datetime.date, last: datetime.date, *, activity_ids=None
) -> Headcount:
    """The headcounts from ``first`` to ``last`` (inclusive), optionally of some
    activities (page ids) only."""
    # The child's absence reports covering the booked day, joined (PostgreSQL hashes
    # the few reports once) rather than looked up again for each booking; a child with
    # two overlapping reports still counts once (distinct).
    absent = FilteredRelation(
        "enrolment__child__absences",
        # The reports of the headcount's days only, then those of the booked day.
        condition=Q(
            enrolment__child__absences__first_day__lte=last,
            enrolment__child__absences__last_day__gte=first,
        )
        & Q(
            enrolment__child__absences__first_day__lte=F("date"),
            enrolment__child__absences__last_day__gte=F("date"),
        ),
    )
    bookings = Booking.objects.filter(
        date__range=(first, last), status=Booking.Status.BOOKED
    )
    if activity_ids:
        bookings = bookings.filter(
            session__schedule__period__activity_id__in=activity_ids
        )
    grouped = ["date", "session_id", "enrolment__child__school"]
    if DIET_FIELD:
        grouped.append(f"enrolment__child__{DIET_FIELD}")
    rows = list(
        bookings.annotate(absence=absent)
        .values(*grouped)
        .annotate(
            booked=Count("pk", distinct=True),
            absent=Count("pk", distinct=True, filter=Q(absence__isnull=False)),
        )
        .order_by()
    )
    sessions = {
        session.pk: session
        for session in ServiceSession.objects.filter(
            pk__in={row["session_id"] for row in rows}
        )
        .select_related("schedule__period__activity")
        .prefetch_related("schedule__changes")
    }
    settings = calendar_settings()
    calendars = {}
    lines: dict[tuple, HeadcountLine] = {}
    closed: dict[tuple, ClosedDay] = {}
    for row in rows:
        session = sessions[row["session_id"]]
        schedule = session.schedule
        activity = schedule.period.activity
        if schedule.pk not in calendars:
            calendars[schedule.pk] = service_calendar(schedule, settings)
        day = describe_day(calendars[schedule.pk], row["date"])
        if not day.runs:
            gone = closed.setdefault(
                (row["date"], activity.pk),
                ClosedDay(row["date"], activity.title, day.reason, 0),
            )
            gone.booked += row["booked"]
            continue
        if schedule.site_source == SiteSource.SCHOOL:
            site = row["enrolment__child__school"] or NO_SCHOOL
        else:
            site = activity.place or activity.title
        key = (row["date"], activity.title, session.sort_order, session.pk, site)
        line = lines.setdefault(
            key,
            HeadcountLine(
                row["date"], activity.title, session.name, session.starts, site
            ),
        )
        line.booked += row["booked"]
        line.absent += row["absent"]
        # Meals to cook: the children expected (booked, not reported absent).
        meals = row["booked"] - row["absent"]
        if DIET_FIELD and row[f"enrolment__child__{DIET_FIELD}"] and meals:
            line.diets[row[f"enrolment__child__{DIET_FIELD}"]] += meals
    return Headcount(
        first,
        last,
        [lines[key] for key in sorted(lines, key=_sort_key)],
        [
            closed[key]
            for key in sorted(closed, key=lambda k: (k[0], closed[k].activity))
        ],
    )


def _sort_key(key):
    day, activity, sort_order, session_pk, site = key
    return (
        day,
        activity,
        sort_order if sort_order is not None else 0,
        session_pk,
        site,
    )


# --- exports --------------------------------------------------------------------------

COLUMNS = [
    "Date",
    "Activité",
    "Séance",
    "Site",
    "Réservés",
    "Absences signalées",
    "Attendus",
]


def table(headcount: Headcount) -> tuple[list[str], list[list]]:
    """The headcount as a header and rows of typed values, for CSV and XLSX."""
    header = list(COLUMNS)
    if headcount.has_diets:
        header.append("Régimes (repas attendus)")
    rows = []
    for line in headcount.lines:
        row = [
            line.day,
            line.activity,
            f"{line.session} ({line.starts:%H:%M})",
            line.site,
            line.booked,
            line.absent,
            line.expected,
        ]
        if headcount.has_diets:
            row.append(line.diets_text)
        rows.append(row)
    return header, rows
