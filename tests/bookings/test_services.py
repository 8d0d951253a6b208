"""Booking and cancelling: the calendar, the deadline at its exact minute, agents past it,
capacity and the waiting list, and the trail of who did what."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from family_portal.bookings import services
from family_portal.bookings.models import (
    Booking,
    BookingEvent,
    CalendarChange,
    ServiceSchedule,
    ServiceSession,
    WaitingEntry,
)
from family_portal.models import Enrolment

MINUTE = datetime.timedelta(minutes=1)


def aware(naive):
    """A local deadline as the aware datetime Django hands the services (winter time is
    enough for the days these tests pick)."""
    from zoneinfo import ZoneInfo

    return naive.replace(tzinfo=ZoneInfo("Europe/Paris"))


def term_days(schedule, count, weekday=None):
    """The first ``count`` days the service runs from mid-November (no holidays nearby
    in any zone, winter time), optionally only one weekday."""
    days = [
        day
        for day in services.service_days(schedule)
        if day >= datetime.date(day.year, 11, 12)
        and day.month in (11, 12)
        and (weekday is None or day.weekday() == weekday)
    ]
    return days[:count]


def long_before(day):
    return aware(
        datetime.datetime.combine(day, datetime.time(8, 0))
    ) - datetime.timedelta(days=20)


def test_the_service_runs_on_its_weekdays_outside_holidays(schedule):
    days = services.service_days(schedule)
    assert {day.weekday() for day in days} == {0, 1, 3, 4}
    assert 125 <= len(days) <= 145
    period = schedule.period
    assert all(period.start <= day <= period.end for day in days)
    year = period.start.year
    assert datetime.date(year, 11, 11) not in days  # Armistice
    assert not any(
        datetime.date(year, 12, 22) <= day <= datetime.date(year + 1, 1, 2)
        for day in days
    )


def test_a_closure_and_an_extra_day(schedule, agent):
    (monday,) = term_days(schedule, 1, weekday=0)
    wednesday = monday + datetime.timedelta(days=2)
    CalendarChange.objects.create(
        schedule=schedule, date=monday, kind="closure", reason="grève", created_by=agent
    )
    CalendarChange.objects.create(
        schedule=schedule,
        date=wednesday,
        kind="extra",
        reason="journée de rattrapage",
        created_by=agent,
    )
    days = services.service_days(schedule)
    assert monday not in days and wednesday in days
    grid = {day.date: day for day in services.month_grid(schedule, monday, wednesday)}
    assert grid[monday].reason == "Fermé : grève"


def test_a_parent_books_days_with_a_trail(enrolments, lunch, parent):
    days = term_days(lunch.schedule, 3)
    outcome = services.book(
        enrolments["Léa"], lunch, days, user=parent, now=long_before(days[0])
    )
    assert outcome.done == days and not outcome.refused
    assert (
        Booking.objects.filter(enrolment=enrolments["Léa"], status="booked").count()
        == 3
    )
    event = BookingEvent.objects.first()
    assert (event.user, event.by_agent, event.after_deadline, event.action) == (
        parent,
        False,
        False,
        "booked",
    )
    again = services.book(
        enrolments["Léa"], lunch, days, user=parent, now=long_before(days[0])
    )
    assert again.unchanged == days and not again.done
    assert BookingEvent.objects.count() == 3


def test_the_deadline_at_its_exact_minute(enrolments, lunch, parent, agent):
    (day,) = term_days(
        lunch.schedule, 1, weekday=0
    )  # a Monday: two working days before is Thursday
    deadline = services.deadline_of(lunch.schedule, day)
    assert deadline.weekday() == 3 and deadline.time() == datetime.time(23, 59)
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    assert services.book(
        lea, lunch, [day], user=parent, now=aware(deadline) - MINUTE
    ).done == [day]
    assert services.book(
        tom,
        lunch,
        [day],
        user=parent,
        now=aware(deadline) + datetime.timedelta(seconds=59),
    ).done == [day]
    cancel_late = services.cancel(
        lea, lunch, [day], user=parent, now=aware(deadline) + MINUTE
    )
    ((refused_day, message),) = cancel_late.refused
    assert refused_day == day
    assert f"{deadline:%d/%m/%Y} à 23:59" in message
    assert Booking.objects.get(enrolment=lea).status == "booked"
    # An agent still can, and the trail says it was late and by whom.
    by_agent = services.cancel(
        lea, lunch, [day], user=agent, by_agent=True, now=aware(deadline) + MINUTE
    )
    assert by_agent.done == [day]
    event = BookingEvent.objects.filter(booking__enrolment=lea).last()
    assert (event.action, event.user, event.by_agent, event.after_deadline) == (
        "cancelled",
        agent,
        True,
        True,
    )


def test_cancelling_then_booking_again_keeps_one_row(enrolments, lunch, parent):
    (day,) = term_days(lunch.schedule, 1)
    lea = enrolments["Léa"]
    now = long_before(day)
    services.book(lea, lunch, [day], user=parent, now=now)
    services.cancel(lea, lunch, [day], user=parent, now=now + MINUTE)
    booking = Booking.objects.get(enrolment=lea)
    assert booking.status == "cancelled" and booking.cancelled_at == now + MINUTE
    services.book(lea, lunch, [day], user=parent, now=now + 2 * MINUTE)
    booking.refresh_from_db()
    assert booking.status == "booked" and booking.cancelled_at is None
    assert list(booking.events.values_list("action", flat=True)) == [
        "booked",
        "cancelled",
        "booked",
    ]


def test_days_the_service_does_not_run_are_refused(enrolments, lunch, parent):
    (monday,) = term_days(lunch.schedule, 1, weekday=0)
    wednesday = monday + datetime.timedelta(days=2)
    saturday = monday + datetime.timedelta(days=5)
    outcome = services.book(
        enrolments["Léa"],
        lunch,
        [wednesday, saturday],
        user=parent,
        now=long_before(monday),
    )
    assert [day for day, _ in outcome.refused] == [wednesday, saturday]
    assert "ne fonctionne pas" in outcome.refused[0][1]
    assert not Booking.objects.exists()


def test_only_an_active_enrolment_of_the_session_period_books(
    enrolments, lunch, parent, canteen
):
    lea = enrolments["Léa"]
    lea.status = Enrolment.Status.CANCELLED
    lea.save()
    (day,) = term_days(lunch.schedule, 1)
    with pytest.raises(services.BookingError, match="n'est pas active"):
        services.book(lea, lunch, [day], user=parent, now=long_before(day))
    elsewhere = ServiceSchedule(period_id=lunch.schedule.period_id + 1000)
    other = ServiceSession(schedule=elsewhere, name="Goûter")
    with pytest.raises(services.BookingError, match="n'appartient pas"):
        services.book(
            enrolments["Tom"], other, [day], user=parent, now=long_before(day)
        )


def test_a_full_day_puts_the_child_on_its_waiting_list_and_a_cancellation_frees_the_place(
    enrolments, lunch, parent, commune, django_capture_on_commit_callbacks
):
    lunch.capacity = 1
    lunch.save()
    (day,) = term_days(lunch.schedule, 1)
    now = long_before(day)
    lea, tom = enrolments["Léa"], enrolments["Tom"]
    assert services.book(lea, lunch, [day], user=parent, now=now).done == [day]
    assert services.book(tom, lunch, [day], user=parent, now=now).waiting == [day]
    assert WaitingEntry.objects.get().enrolment == tom
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(lea, lunch, [day], user=parent, now=now + MINUTE)
    assert Booking.objects.get(enrolment=tom).status == "booked"
    assert WaitingEntry.objects.get().status == "promoted"
    assert (
        BookingEvent.objects.filter(booking__enrolment=tom).get().action == "promoted"
    )
    (message,) = mail.outbox
    assert "Une place s'est libérée pour Tom" in message.subject
    assert f"{day.day}" in message.body


def test_cancelling_a_waiting_day_withdraws_it(enrolments, lunch, parent):
    lunch.capacity = 1
    lunch.save()
    (day,) = term_days(lunch.schedule, 1)
    now = long_before(day)
    services.book(enrolments["Léa"], lunch, [day], user=parent, now=now)
    services.book(enrolments["Tom"], lunch, [day], user=parent, now=now)
    services.cancel(enrolments["Tom"], lunch, [day], user=parent, now=now)
    assert WaitingEntry.objects.get().status == "withdrawn"


def test_what_a_change_costs(enrolments, lunch):
    lea = enrolments["Léa"]
    assert services.cost_of(lea, lunch, 4) == lea.amount * 4
    lea.unit = "heure"
    assert services.units_per_session(lea, lunch) == Decimal("1.75")  # 11:45–13:30
    lea.unit = "période"
    assert services.cost_of(lea, lunch, 4) == 0
