"""The days a service runs: its weekly pattern, less the school holidays of the commune's
zone (or only them, for a holiday leisure centre), less public holidays and the closures
agents add, plus extra days.

Plain Python, no Django. School holidays come from ``vacances-scolaires-france``, which
ships the Education ministry's official dates for zones A, B and C inside the package (no
network at run time); public holidays from ``holidays``, with Alsace-Moselle's Good Friday
and 26 December (subdivision 57).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
from vacances_scolaires_france import SchoolHolidayDates

ZONES = ("A", "B", "C")
HOLIDAY_CALENDARS = ("metropole", "alsace_moselle")
# When a service runs with respect to school holidays: canteens and after-school care in
# term time, holiday leisure centres during the holidays, some services all year.
SCHOOL_TERMS = ("term", "holidays", "all")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_SUBDIVISIONS = {"metropole": None, "alsace_moselle": "57"}


class CalendarUnknown(ValueError):
    """The official school-holiday dates of a year are not published (or not shipped) yet;
    the message is French, for editors and agents."""


@lru_cache(maxsize=64)
def public_holidays(calendar: str, year: int) -> dict[date, str]:
    """The public holidays of ``year`` for ``metropole`` or ``alsace_moselle``, in French."""
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


@lru_cache(maxsize=1)
def _school_dates() -> SchoolHolidayDates:
    return SchoolHolidayDates()  # reads the package's CSV once per process


def school_holiday(day: date, zone: str) -> str | None:
    """The name of the school holidays ``day`` falls in for ``zone``, or None."""
    dates = _school_dates()
    if not dates.min_year <= day.year <= dates.max_year:
        raise CalendarUnknown(
            f"Les dates officielles des vacances scolaires de {day.year} ne sont pas "
            f"connues (données disponibles de {dates.min_year} à {dates.max_year}) : "
            "mettez à jour le paquet vacances-scolaires-france ou ajoutez les "
            "fermetures à la main."
        )
    row = dates.data.get(day)
    if row is None or not row[dates.zone_key(zone)]:
        return None
    return row["nom_vacances"]


@dataclass(frozen=True, slots=True)
class ServiceCalendar:
    """How a service's days are chosen; ``closures`` and ``extra_days`` map a day to the
    reason agents gave (strike, teacher training day, a Saturday outing…)."""

    weekdays: frozenset[int]  # 0 = Monday
    zone: str = "A"
    school_term: str = "term"
    public_holidays: str = "metropole"
    closures: dict[date, str] = field(default_factory=dict)
    extra_days: dict[date, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CalendarDay:
    date: date
    runs: bool
    reason: str  # why it runs or not, in French, for the month grid


def describe_day(calendar: ServiceCalendar, day: date) -> CalendarDay:
    """Whether the service runs on ``day``, and why: extra days win, then closures,
    public holidays, school holidays and the weekly pattern, in that order."""
    if day in calendar.extra_days:
        return CalendarDay(day, True, f"Jour ajouté : {calendar.extra_days[day]}")
    if day in calendar.closures:
        return CalendarDay(day, False, f"Fermé : {calendar.closures[day]}")
    holiday = public_holidays(calendar.public_holidays, day.year).get(day)
    if holiday:
        return CalendarDay(day, False, f"Jour férié : {holiday}")
    if day.weekday() not in calendar.weekdays:
        return CalendarDay(day, False, f"Pas d'accueil le {WEEKDAYS[day.weekday()]}")
    if calendar.school_term != "all":
        vacation = school_holiday(day, calendar.zone)
        if vacation and calendar.school_term == "term":
            return CalendarDay(day, False, f"{vacation} (zone {calendar.zone})")
        if not vacation and calendar.school_term == "holidays":
            return CalendarDay(day, False, "Période scolaire")
        if vacation:
            return CalendarDay(day, True, f"{vacation} (zone {calendar.zone})")
    return CalendarDay(day, True, "Jour d'accueil")


def days_between(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def calendar_days(
    calendar: ServiceCalendar, start: date, end: date
) -> list[CalendarDay]:
    """Every day from ``start`` to ``end`` (inclusive), described for a month grid."""
    return [describe_day(calendar, day) for day in days_between(start, end)]


def service_days(calendar: ServiceCalendar, start: date, end: date) -> list[date]:
    """The days the service runs from ``start`` to ``end`` (inclusive)."""
    return [day.date for day in calendar_days(calendar, start, end) if day.runs]
