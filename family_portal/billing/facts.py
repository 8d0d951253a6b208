"""What the engine bills, gathered from the portal's records: each enrolment's
occurrences of the month (``activities.billing_rules.Occurrence``).

The one place that knows where the facts come from. Until the attendance app lands, a
booked day is taken as attended unless the family reported the child absent (an accepted
medical certificate makes it justified), and a closure of the service calendar closes
it; plugging attendance in is a change of this module only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from activities.billing_rules import Occurrence
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    CalendarChange,
    ServiceSession,
)
from family_portal.models import Enrolment

# Where presence comes from: "bookings" (assumed from the booking) or "attendance".
SOURCE = "bookings"


@dataclass
class Facts:
    """One enrolment's month: occurrences in date order, the booked days nobody checked,
    and the days whose medical certificate still waits for an agent."""

    occurrences: list[Occurrence] = field(default_factory=list)
    unchecked: list[datetime.date] = field(default_factory=list)
    certificate_pending: list[datetime.date] = field(default_factory=list)


def month_facts(
    enrolment_ids, first: datetime.date, last: datetime.date
) -> dict[int, Facts]:
    """Facts per enrolment id for the days from ``first`` to ``last``."""
    rows = Booking.objects.filter(
        enrolment_id__in=enrolment_ids, date__range=(first, last)
    ).values_list("enrolment_id", "session_id", "date", "status", "cancelled_at")
    sessions = {
        session.pk: session
        for session in ServiceSession.objects.filter(
            pk__in={row[1] for row in rows}
        ).only("pk", "schedule_id", "starts", "ends", "sort_order")
    }
    children = dict(
        Enrolment.objects.filter(pk__in=enrolment_ids).values_list("pk", "child_id")
    )
    bookings = []
    for enrolment, session_id, day, status, cancelled in rows:
        session = sessions[session_id]
        bookings.append(
            (
                (day, session.sort_order or 0, session.starts),
                (
                    enrolment,
                    children[enrolment],
                    session.schedule_id,
                    session.starts,
                    session.ends,
                    day,
                    status,
                    cancelled,
                ),
            )
        )
    bookings.sort(key=lambda item: item[0])
    bookings = [row for _, row in bookings]
    schedules = {row[2] for row in bookings}
    closed = set(
        CalendarChange.objects.filter(
            schedule_id__in=schedules,
            kind=CalendarChange.Kind.CLOSURE,
            date__range=(first, last),
        ).values_list("schedule_id", "date")
    )
    absences = _absences({row[1] for row in bookings}, first, last)
    facts: dict[int, Facts] = {pk: Facts() for pk in enrolment_ids}
    for enrolment, child, schedule, starts, ends, day, status, cancelled in bookings:
        item = facts.setdefault(enrolment, Facts())
        absence = absences.get((child, day))
        if (schedule, day) in closed:
            attendance = "closed"
        elif status == Booking.Status.CANCELLED:
            attendance = None
        elif absence == AbsenceReport.Status.JUSTIFIED:
            attendance = "absent_justified"
        elif absence is not None:
            attendance = "absent"
            if absence == AbsenceReport.Status.PENDING:
                item.certificate_pending.append(day)
        else:
            attendance = "present"
        item.occurrences.append(
            Occurrence(
                date=day,
                booked=True,
                cancelled_at=cancelled if status == Booking.Status.CANCELLED else None,
                attendance=attendance,
                booked_from=starts,
                booked_to=ends,
                arrival=starts if attendance == "present" else None,
                departure=ends if attendance == "present" else None,
            )
        )
    return facts


def _absences(children, first, last) -> dict:
    """(child, day) → the status of the absence report covering that day."""
    found = {}
    for child, start, end, status in AbsenceReport.objects.filter(
        child_id__in=children, first_day__lte=last, last_day__gte=first
    ).values_list("child_id", "first_day", "last_day", "status"):
        day = max(start, first)
        while day <= min(end, last):
            # A justified report wins over another report of the same day.
            if found.get((child, day)) != AbsenceReport.Status.JUSTIFIED:
                found[(child, day)] = status
            day += datetime.timedelta(days=1)
    return found
