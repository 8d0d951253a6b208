"""The service calendar: weekly pattern, school holidays per zone, public holidays,
closures and extra days."""

from datetime import date

import pytest

from activities.service_calendar import (
    CalendarUnknown,
    ServiceCalendar,
    calendar_days,
    describe_day,
    service_days,
)

SCHOOL_DAYS = frozenset({0, 1, 3, 4})  # Monday, Tuesday, Thursday, Friday


@pytest.mark.parametrize(
    ("zone", "runs_on"),
    [
        # Winter 2026: zone A 7–23 February, zone B 14 February–2 March, C 21 February–9 March.
        ("A", {date(2026, 2, 23), date(2026, 3, 2)}),
        ("B", {date(2026, 2, 9), date(2026, 3, 2)}),
        ("C", {date(2026, 2, 9), date(2026, 2, 16)}),
    ],
)
def test_each_zone_skips_its_own_winter_holidays(zone, runs_on):
    canteen = ServiceCalendar(weekdays=SCHOOL_DAYS, zone=zone)
    mondays = [date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2)]
    assert {day for day in mondays if describe_day(canteen, day).runs} == runs_on
    closed = next(day for day in mondays if day not in runs_on)
    assert describe_day(canteen, closed).reason == f"Vacances d'hiver (zone {zone})"


def test_a_term_time_week_follows_the_weekly_pattern():
    canteen = ServiceCalendar(weekdays=SCHOOL_DAYS, zone="A")
    assert service_days(canteen, date(2025, 11, 17), date(2025, 11, 23)) == [
        date(2025, 11, 17),
        date(2025, 11, 18),
        date(2025, 11, 20),
        date(2025, 11, 21),
    ]
    assert (
        describe_day(canteen, date(2025, 11, 19)).reason == "Pas d'accueil le mercredi"
    )


def test_public_holidays_are_closed_and_named():
    canteen = ServiceCalendar(weekdays=SCHOOL_DAYS)
    armistice = describe_day(canteen, date(2025, 11, 11))
    assert not armistice.runs
    assert armistice.reason.startswith("Jour férié : ")
    assert (
        "11 novembre" in armistice.reason.lower()
        or "armistice" in armistice.reason.lower()
    )


def test_alsace_moselle_closes_on_good_friday_and_saint_stephen():
    # A holiday centre open every weekday of the Easter holidays of zone B 2026.
    alsace = ServiceCalendar(
        weekdays=frozenset(range(5)),
        zone="B",
        school_term="all",
        public_holidays="alsace_moselle",
    )
    metropole = ServiceCalendar(
        weekdays=frozenset(range(5)), zone="B", school_term="all"
    )
    good_friday = date(2026, 4, 3)
    assert describe_day(metropole, good_friday).runs
    assert not describe_day(alsace, good_friday).runs
    assert describe_day(metropole, date(2025, 12, 26)).runs
    assert not describe_day(alsace, date(2025, 12, 26)).runs


def test_a_holiday_leisure_centre_runs_only_during_school_holidays():
    centre = ServiceCalendar(
        weekdays=frozenset(range(5)), zone="C", school_term="holidays"
    )
    days = service_days(centre, date(2026, 2, 16), date(2026, 3, 1))
    assert days[0] == date(2026, 2, 23)  # zone C's holidays start on 21 February
    assert len(days) == 5
    assert describe_day(centre, date(2026, 2, 16)).reason == "Période scolaire"


def test_closures_and_extra_days_win_over_the_pattern():
    canteen = ServiceCalendar(
        weekdays=SCHOOL_DAYS,
        closures={date(2025, 11, 18): "grève"},
        extra_days={date(2025, 11, 19): "sortie au théâtre"},
    )
    days = calendar_days(canteen, date(2025, 11, 17), date(2025, 11, 19))
    assert [(day.runs, day.reason) for day in days] == [
        (True, "Jour d'accueil"),
        (False, "Fermé : grève"),
        (True, "Jour ajouté : sortie au théâtre"),
    ]


def test_a_school_year_of_canteen_has_about_140_days():
    canteen = ServiceCalendar(weekdays=SCHOOL_DAYS, zone="A")
    days = service_days(canteen, date(2025, 9, 1), date(2026, 7, 3))
    assert 130 <= len(days) <= 145


def test_a_year_without_official_dates_says_so_in_french():
    canteen = ServiceCalendar(weekdays=SCHOOL_DAYS)
    with pytest.raises(CalendarUnknown, match="vacances scolaires de 2099"):
        describe_day(canteen, date(2099, 3, 2))
