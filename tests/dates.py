"""The dates the test data lives in, relative to today, so that the suite passes on any day.

The school year of the factories' periods is the current one: from 1 September of this
year once July has come, else of last year, to early July of the next year; its enrolment
window (1 June of the start year to 30 June of the end year) always contains today. The QF
records of the helpers are valid today, until 31 August of the school year's end, and the
children have the same age on the school year's first day whatever the year.
"""

import datetime
from dataclasses import dataclass

from django.utils import formats, timezone, translation


@dataclass(frozen=True)
class SchoolYear:
    start_year: int

    @property
    def end_year(self) -> int:
        return self.start_year + 1

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.start_year, 9, 1)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.end_year, 7, 3)

    @property
    def enrolment_opens(self) -> datetime.date:
        return datetime.date(self.start_year, 6, 1)

    @property
    def enrolment_closes(self) -> datetime.date:
        return datetime.date(self.end_year, 6, 30)

    @property
    def qf_valid_until(self) -> datetime.date:
        return datetime.date(self.end_year, 8, 31)


def today() -> datetime.date:
    return timezone.localdate()


def school_year(day: datetime.date | None = None) -> SchoolYear:
    day = day or today()
    return SchoolYear(day.year if day.month >= 7 else day.year - 1)


def qf_month(day: datetime.date | None = None) -> datetime.date:
    """October of the school year's start if that is not in the future, else last month."""
    day = day or today()
    october = datetime.date(school_year(day).start_year, 10, 1)
    if october <= day:
        return october
    return (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def qf_validity(
    day: datetime.date | None = None,
) -> tuple[datetime.date, datetime.date]:
    """From the start of the school year (or of the QF's month, if sooner) to 31 August."""
    day = day or today()
    year = school_year(day)
    return min(year.start, qf_month(day)), year.qf_valid_until


def in_force(document: dict, day: datetime.date | None = None) -> dict:
    """A ``bareme/1`` document (a shared example, dated when its commune voted it) valid
    for the whole school year of ``day``: the factories' periods need a barème in
    force on their dates to be priced (``ActivityPage.pricing_version``)."""
    year = school_year(day)
    return {
        **document,
        "valid_from": year.start.isoformat(),
        "valid_until": year.qf_valid_until.isoformat(),
    }


def born(month: int, day: int, *, age: int) -> datetime.date:
    """A birth date on ``day``/``month`` making a child ``age`` on the school year's first
    day, the date activities check ages on (``Child.age_on(period.start)``)."""
    start = school_year().start
    year = start.year - age
    if (month, day) > (start.month, start.day):
        year -= 1
    return datetime.date(year, month, day)


def french_date(value: datetime.date, format_name: str = "j F Y") -> str:
    """The date as the application writes it: ``date_format`` in French."""
    with translation.override("fr"):
        return formats.date_format(value, format_name)
