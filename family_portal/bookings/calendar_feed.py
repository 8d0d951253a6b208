"""A family's booked days as an iCalendar feed (RFC 5545), for the parents' phones.

Only first names leave the portal: each event says which child, which service and which
session, at the session's times in Paris time."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import icalendar
from django.utils import timezone

from .models import Booking

PARIS = ZoneInfo("Europe/Paris")
# Days already past stay a while, so this week's and last month's remain visible.
KEEP_PAST_DAYS = 62


def ical(family, host: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Portail Famille//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Réservations (portail famille)")
    calendar.add("x-wr-timezone", "Europe/Paris")
    since = timezone.localdate() - datetime.timedelta(days=KEEP_PAST_DAYS)
    bookings = (
        Booking.objects.filter(
            enrolment__family=family,
            status=Booking.Status.BOOKED,
            date__gte=since,
        )
        .select_related("enrolment__child", "session__schedule__period__activity")
        .order_by("date", "session__starts", "enrolment__child__first_name")
    )
    stamp = timezone.now()
    for booking in bookings:
        session = booking.session
        activity = session.schedule.period.activity
        child = booking.enrolment.child.first_name
        event = icalendar.Event()
        event.add("uid", f"reservation-{booking.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add(
            "dtstart",
            datetime.datetime.combine(booking.date, session.starts, tzinfo=PARIS),
        )
        event.add(
            "dtend", datetime.datetime.combine(booking.date, session.ends, tzinfo=PARIS)
        )
        event.add("summary", f"{child} : {activity.title} ({session.name})")
        event.add("last-modified", booking.booked_at)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
