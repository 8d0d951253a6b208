"""Booking deadlines: until when a day can be booked or cancelled online.

One function for every place that enforces them (the parent's calendar, the agents' screens,
the invoice's case of a cancellation), so a cancellation at the deadline's exact minute is in
time everywhere. Public holidays come from the ``holidays`` package (maintained, with the
Alsace-Moselle days as subdivision 57) rather than a list of our own to keep up to date.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from .model import Deadline

LOCAL_TIME = ZoneInfo("Europe/Paris")
# Good Friday and 26 December are public holidays in Moselle, Bas-Rhin and Haut-Rhin;
# ``holidays`` files the three départements under subdivision 57.
_SUBDIVISIONS = {"metropole": None, "alsace_moselle": "57"}


@lru_cache(maxsize=64)
def public_holidays(calendar: str, year: int) -> dict[date, str]:
    """The public holidays of ``year`` for ``metropole`` or ``alsace_moselle``, named in
    French."""
    return dict(
        holidays.France(
            years=year, subdiv=_SUBDIVISIONS[calendar], language="fr"
        ).items()
    )


def is_public_holiday(day: date, calendar: str = "metropole") -> bool:
    return day in public_holidays(calendar, day.year)


def is_working_day(day: date, calendar: str = "metropole") -> bool:
    """Monday to Friday, except public holidays."""
    return day.weekday() < 5 and not is_public_holiday(day, calendar)


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
