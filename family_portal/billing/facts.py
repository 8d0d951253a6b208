"""What the engine bills, gathered from the portal's records: each enrolment's
occurrences of the month (``activities.billing_rules.Occurrence``).

The one place that knows where the facts come from: bookings (what was booked, cancelled
and when) and attendance (``family_portal.attendance.services.presences_for``: who came).

- a booked day ticked ``present`` is attended, from the arrival to the departure the
  animateur ticked (a missing time is taken from the booking), so services billed by time
  count the real slots and a late pick-up is charged;
- ticked ``absent``: a no-show (``absent``), unless an agent accepted a medical
  certificate covering the day (``absent_justified``), as when ticked ``absent_justified``;
- a booking the service closed (``Booking.Status.CLOSED``) or a closure of the calendar:
  ``closed``;
- a child ticked present without a booking: an unbooked presence;
- a booked day nobody ticked has no attendance (``None``): FORMAT.md counts it as an
  absence on a booked day; when the family reported the child absent it is ``absent``
  (``absent_justified`` once an agent accepted the certificate). Either way it is listed
  in ``unchecked`` for the agents.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from activities.billing_rules import Occurrence
from family_portal.attendance.services import presences_for
from family_portal.bookings.models import (
    AbsenceReport,
    Booking,
    CalendarChange,
    ServiceSchedule,
    ServiceSession,
)
from family_portal.models import Enrolment


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
    enrolment_ids = list(enrolment_ids)
    enrolments = dict(
        Enrolment.objects.filter(pk__in=enrolment_ids).values_list("pk", "child_id")
    )
    bookings = {
        (enrolment, session, day): (status, cancelled)
        for enrolment, session, day, status, cancelled in Booking.objects.filter(
            enrolment_id__in=enrolment_ids, date__range=(first, last)
        ).values_list("enrolment_id", "session_id", "date", "status", "cancelled_at")
    }
    presences = _presences(enrolments, first, last)
    keys = set(bookings) | set(presences)
    sessions = {
        session.pk: session
        for session in ServiceSession.objects.filter(
            pk__in={key[1] for key in keys}
        ).only("pk", "schedule_id", "starts", "ends", "sort_order")
    }
    closed = set(
        CalendarChange.objects.filter(
            schedule_id__in={session.schedule_id for session in sessions.values()},
            kind=CalendarChange.Kind.CLOSURE,
            date__range=(first, last),
        ).values_list("schedule_id", "date")
    )
    absences = _absences(set(enrolments.values()), first, last)
    facts: dict[int, Facts] = {pk: Facts() for pk in enrolment_ids}

    def order(key):
        session = sessions[key[1]]
        return (key[2], session.sort_order or 0, session.starts, key[1])

    for key in sorted(keys, key=order):
        enrolment, session_id, day = key
        session = sessions[session_id]
        item = facts.setdefault(enrolment, Facts())
        status, cancelled = bookings.get(key, (None, None))
        presence = presences.get(key)
        mark = presence.status if presence else None
        came = mark == "present"
        absence = absences.get((enrolments[enrolment], day))
        booked = status is not None
        if not booked and not came:
            continue  # ticked absent without a booking: nothing to bill
        if (
            (session.schedule_id, day) in closed
            or status == Booking.Status.CLOSED
            or mark == "closed"
        ):
            attendance = "closed"
        elif came:
            attendance = "present"
        elif status == Booking.Status.CANCELLED:
            attendance = None
        elif mark in ("absent", "absent_justified"):
            attendance = (
                "absent_justified"
                if mark == "absent_justified"
                or absence == AbsenceReport.Status.JUSTIFIED
                else "absent"
            )
        else:
            # Nobody ticked this booked day: not checked in, which FORMAT.md bills as
            # an absence on a booked day (an absence reported by the family is one).
            item.unchecked.append(day)
            if absence == AbsenceReport.Status.JUSTIFIED:
                attendance = "absent_justified"
            elif absence is not None:
                attendance = "absent"
            else:
                attendance = None
        if attendance == "absent" and absence == AbsenceReport.Status.PENDING:
            item.certificate_pending.append(day)
        arrival = departure = None
        if attendance == "present":
            arrival = (presence.arrival if came else None) or session.starts
            departure = (presence.departure if came else None) or session.ends
        item.occurrences.append(
            Occurrence(
                date=day,
                booked=booked,
                cancelled_at=cancelled if status == Booking.Status.CANCELLED else None,
                attendance=attendance,
                booked_from=session.starts if booked else None,
                booked_to=session.ends if booked else None,
                arrival=arrival,
                departure=departure,
            )
        )
    return facts


def _presences(enrolments: dict, first, last) -> dict:
    """(enrolment, session, day) → the attendance app's ``Presence``, for the
    enrolments' services and the months from ``first`` to ``last``."""
    schedules = ServiceSchedule.objects.filter(
        period__enrolments__pk__in=list(enrolments)
    ).distinct()
    found = {}
    for schedule in schedules:
        month = first.replace(day=1)
        while month <= last:
            month_presences = presences_for(schedule, month, list(enrolments))
            for presence in month_presences.presences:
                if first <= presence.date <= last:
                    key = (presence.enrolment_id, presence.session_id, presence.date)
                    found[key] = presence
            month = (month + datetime.timedelta(days=32)).replace(day=1)
    return found


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
