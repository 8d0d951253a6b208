"""A service's days and deadlines: the calendar of a period (weekly pattern, school and
public holidays, agents' closures and extra days), the booking deadline read from the
schedule, and ``OpenDays``, both read once for a whole change. ``services`` applies them
(and re-exports these names, which the views, forms and headcounts use)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone
from wagtail.models import Site

from activities.billing_rules import (
    Deadline,
    deadline_for,
    is_in_time,
    local_minute,
    parse_deadline,
)
from activities.service_calendar import ServiceCalendar, calendar_days
from family_portal.billing.deadlines import billing_deadline

from .models import CalendarChange, SchoolCalendarSettings, ServiceSchedule


def calendar_settings() -> SchoolCalendarSettings:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return SchoolCalendarSettings()
    return SchoolCalendarSettings.for_site(site)


def service_calendar(
    schedule: ServiceSchedule, settings: SchoolCalendarSettings | None = None
) -> ServiceCalendar:
    settings = settings or calendar_settings()
    changes = [c for c in schedule.changes.all() if c.removed_at is None]
    return ServiceCalendar(
        weekdays=frozenset(schedule.weekdays),
        zone=settings.zone,
        school_term=schedule.school_term,
        public_holidays=settings.public_holidays,
        closures={
            c.date: c.reason for c in changes if c.kind == CalendarChange.Kind.CLOSURE
        },
        extra_days={
            c.date: c.reason for c in changes if c.kind == CalendarChange.Kind.EXTRA
        },
    )


def month_grid(schedule: ServiceSchedule, start: date, end: date):
    """The period's days between ``start`` and ``end``, each with whether the service
    runs and why, for the admin's month grid and the parent's calendar."""
    period = schedule.period
    start, end = max(start, period.start), min(end, period.end)
    if start > end:
        return []
    return calendar_days(service_calendar(schedule), start, end)


def service_days(schedule: ServiceSchedule) -> list[date]:
    """The days the period's service runs. The calendar is read from the database each
    time (closures change); the days it gives are computed once per distinct calendar."""
    period = schedule.period
    calendar = service_calendar(schedule)
    return list(
        _running_days(
            (
                calendar.weekdays,
                calendar.zone,
                calendar.school_term,
                calendar.public_holidays,
                frozenset(calendar.closures.items()),
                frozenset(calendar.extra_days.items()),
            ),
            period.start,
            period.end,
        )
    )


@lru_cache(maxsize=256)
def _running_days(key: tuple, start: date, end: date) -> tuple[date, ...]:
    weekdays, zone, term, holidays, closures, extra_days = key
    calendar = ServiceCalendar(
        weekdays=weekdays,
        zone=zone,
        school_term=term,
        public_holidays=holidays,
        closures=dict(closures),
        extra_days=dict(extra_days),
    )
    return tuple(day.date for day in calendar_days(calendar, start, end) if day.runs)


def deadline_rule(schedule: ServiceSchedule) -> Deadline:
    return parse_deadline(schedule.deadline)


def deadline_of(schedule: ServiceSchedule, day: date) -> datetime:
    """The last local minute to book or cancel ``day`` online."""
    return deadline_for(deadline_rule(schedule), day)


class OpenDays:
    """A schedule's running days and deadline rule, read once for a whole change (both
    children, every session, every day of a period): the calendar's queries run once
    and each day's deadline is computed once, not once per booking."""

    def __init__(self, schedule: ServiceSchedule) -> None:
        self.schedule = schedule
        self.rule = deadline_rule(schedule)
        self.days = service_days(schedule)
        self.runs = frozenset(self.days)
        self._deadlines: dict[date, datetime] = {}

    def deadline(self, day: date) -> datetime:
        """The last local minute to book or cancel ``day`` online (naive, local)."""
        found = self._deadlines.get(day)
        if found is None:
            found = self._deadlines[day] = deadline_for(self.rule, day)
        return found

    def in_time(self, day: date, now: datetime) -> bool:
        return local_minute(now) <= self.deadline(day)

    def late_message(self, day: date) -> str:
        deadline = self.deadline(day)
        return (
            f"La date limite pour le {day:%d/%m/%Y} était le {deadline:%d/%m/%Y} à "
            f"{deadline:%H:%M} : adressez-vous au service pour toute modification."
        )


def open_days_of(
    schedule: ServiceSchedule, known: dict[int, OpenDays] | None
) -> OpenDays:
    """``schedule``'s ``OpenDays`` from ``known`` (filled on the way), or read now."""
    if known is None:
        return OpenDays(schedule)
    if schedule.pk not in known:
        known[schedule.pk] = OpenDays(schedule)
    return known[schedule.pk]


def deadline_mismatch(schedule: ServiceSchedule) -> str | None:
    """A warning for agents, in French, when the service's booking deadline differs
    from its billing rules' deadline (which decides whether a cancellation is billed);
    None when they agree or the service has no billing rules."""
    billed = billing_deadline(schedule.period.activity_id)
    if billed is None:
        return None
    booked = deadline_rule(schedule)
    if billed == booked:
        return None

    def text(rule: Deadline) -> str:
        if rule.count != "working_days":
            return describe_deadline(rule)
        holidays = (
            "d'Alsace-Moselle" if rule.holidays == "alsace_moselle" else "de métropole"
        )
        return f"{describe_deadline(rule)}, jours fériés {holidays}"

    return (
        "Attention : la date limite de réservation de ce service "
        f"({text(booked)}) diffère de celle de ses règles de facturation "
        f"({text(billed)})."
        " Une annulation acceptée en ligne pourrait être facturée comme tardive, ou "
        "l'inverse : alignez le calendrier du service et les règles de facturation."
    )


def in_time(schedule: ServiceSchedule, day: date, now: datetime | None = None) -> bool:
    """Whether ``day`` can still be booked or cancelled online at ``now``."""
    return is_in_time(deadline_rule(schedule), day, now or timezone.now())


def describe_deadline(rule: Deadline) -> str:
    """The rule in French, for parents: « jusqu'à 2 jours ouvrés avant, à 23 h 59 »."""
    at = f"{rule.at.hour} h {rule.at.minute:02d}"
    if rule.days_before == 0:
        return f"jusqu'au jour même, à {at}"
    if rule.days_before == 1 and rule.count == "calendar_days":
        return f"jusqu'à la veille, à {at}"
    kind = "ouvré" if rule.count == "working_days" else ""
    plural = "s" if rule.days_before > 1 else ""
    days = f"jour{plural} {kind}{plural if kind else ''}".strip()
    return f"jusqu'à {rule.days_before} {days} avant, à {at}"
