"""Booking deadlines: until when a day can be booked or cancelled online.

One function for every place that enforces them (the parent's calendar, the agents' screens,
the invoice's case of a cancellation), so a cancellation at the deadline's exact minute is in
time everywhere. Working days skip the public holidays of ``activities.service_calendar``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from activities.service_calendar import is_working_day

from .model import Deadline

LOCAL_TIME = ZoneInfo("Europe/Paris")


def deadline_for(rule: Deadline, occurrence: date) -> datetime:
    """The last local minute at which ``occurrence`` can still be booked or cancelled."""
    day = occurrence
    remaining = rule.days_before
    while remaining:
        day -= timedelta(days=1)
        if rule.count == "calendar_days" or is_working_day(day, rule.holidays):
            remaining -= 1
    return datetime.combine(day, rule.at)


def local_minute(moment: datetime) -> datetime:
    """``moment`` as a naive local time to the minute: an aware datetime (as Django
    stores them) is turned into Paris time first."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TIME).replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)


def is_in_time(rule: Deadline, occurrence: date, moment: datetime) -> bool:
    """Whether an action made at ``moment`` is before the deadline or at its very minute."""
    return local_minute(moment) <= deadline_for(rule, occurrence)
