"""Billing reads attendance: what the animateurs ticked decides each booked day's case,
times billed by the slot, late pick-ups, closed sessions, unbooked presences, and days
nobody ticked (not checked in: an absence on a booked day, as FORMAT.md says; shown to
the agents in the dry run)."""

import datetime
from decimal import Decimal

import pytest

from activities.billing_rules import slot_count
from family_portal.attendance.models import Mark
from family_portal.billing import facts, tasks
from family_portal.billing.models import Invoice, RunFamily
from family_portal.bookings.models import AbsenceReport, Booking

from .conftest import after, book_month, make_rules, september, service_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


def days():
    return list(service_days(september()))


def month_of(enrolment):
    first = september()
    last = days()[-1]
    return facts.month_facts([enrolment.pk], first, last)[enrolment.pk]


def occurrence_on(found, day):
    (occurrence,) = [o for o in found.occurrences if o.date == day]
    return occurrence


def tick(enrolment, session, day, status, arrival=None, departure=None):
    return Mark.objects.create(
        enrolment=enrolment,
        session=session,
        date=day,
        status=status,
        arrival=arrival,
        departure=departure,
    )


def test_a_present_mark_is_attended_from_the_ticked_arrival_to_the_departure(
    booked_unticked, lunch
):
    lea = booked_unticked["Léa"]
    tick(lea, lunch, days()[0], "present", datetime.time(12, 0), datetime.time(13, 50))
    found = month_of(lea)
    occurrence = occurrence_on(found, days()[0])
    assert occurrence.attendance == "present" and occurrence.booked
    assert (occurrence.arrival, occurrence.departure) == (
        datetime.time(12, 0),
        datetime.time(13, 50),
    )
    assert (occurrence.booked_from, occurrence.booked_to) == (lunch.starts, lunch.ends)
    assert days()[0] not in found.unchecked


def test_an_absent_mark_is_a_no_show_and_a_justified_one_is_justified(
    booked_unticked, lunch
):
    lea = booked_unticked["Léa"]
    tick(lea, lunch, days()[0], "absent")
    tick(lea, lunch, days()[1], "absent_justified")
    found = month_of(lea)
    assert occurrence_on(found, days()[0]).attendance == "absent"
    assert occurrence_on(found, days()[1]).attendance == "absent_justified"
    assert not {days()[0], days()[1]} & set(found.unchecked)


def test_an_absent_mark_with_a_certificate_accepted_since_is_justified(
    booked_unticked, lunch, parent
):
    lea = booked_unticked["Léa"]
    tick(lea, lunch, days()[0], "absent")
    tick(lea, lunch, days()[1], "absent")
    AbsenceReport.objects.create(
        child=lea.child,
        first_day=days()[0],
        last_day=days()[0],
        status=AbsenceReport.Status.JUSTIFIED,
        reported_by=parent,
    )
    AbsenceReport.objects.create(
        child=lea.child,
        first_day=days()[1],
        last_day=days()[1],
        status=AbsenceReport.Status.PENDING,
        reported_by=parent,
    )
    found = month_of(lea)
    assert occurrence_on(found, days()[0]).attendance == "absent_justified"
    assert occurrence_on(found, days()[1]).attendance == "absent"
    assert found.certificate_pending == [days()[1]]


def test_a_session_the_service_did_not_run_is_a_closure(booked_unticked, lunch):
    lea = booked_unticked["Léa"]
    Booking.objects.filter(enrolment=lea, date=days()[2]).update(
        status=Booking.Status.CLOSED
    )
    found = month_of(lea)
    occurrence = occurrence_on(found, days()[2])
    assert occurrence.attendance == "closed" and occurrence.booked
    assert days()[2] not in found.unchecked


def test_a_child_ticked_present_without_a_booking_is_an_unbooked_presence(
    enrolments, lunch, rules
):
    tom = enrolments["Tom"]
    tick(tom, lunch, days()[3], "present", datetime.time(11, 50))
    tick(tom, lunch, days()[4], "absent")  # no booking, not there: nothing
    found = month_of(tom)
    (occurrence,) = found.occurrences
    assert occurrence.date == days()[3]
    assert not occurrence.booked and occurrence.attendance == "present"
    assert (occurrence.arrival, occurrence.departure) == (
        datetime.time(11, 50),
        lunch.ends,
    )
    assert found.unchecked == []


def test_a_day_nobody_ticked_is_not_checked_in_and_listed(
    booked_unticked, lunch, parent
):
    """FORMAT.md: ``attendance`` null (not checked in) counts as ``absent`` for a booked
    occurrence; an absence the family reported is an absence."""
    lea = booked_unticked["Léa"]
    for day in days()[2:]:
        tick(lea, lunch, day, "present")
    AbsenceReport.objects.create(
        child=lea.child,
        first_day=days()[1],
        last_day=days()[1],
        status=AbsenceReport.Status.REPORTED,
        reported_by=parent,
    )
    found = month_of(lea)
    first = occurrence_on(found, days()[0])
    assert first.booked and first.attendance is None
    assert (first.arrival, first.departure) == (None, None)
    assert (first.booked_from, first.booked_to) == (lunch.starts, lunch.ends)
    assert occurrence_on(found, days()[1]).attendance == "absent"
    assert found.unchecked == days()[:2]


def test_an_unchecked_booked_day_is_billed_as_an_absence_not_a_presence(
    regie, canteen, enrolments, lunch, django_capture_on_commit_callbacks
):
    """With rules where an absence costs differently from a presence, the unchecked
    day is charged the absence's price, for the booked times."""
    make_rules(
        canteen,
        regie,
        absent_value="0.5",
        slot_minutes=30,
    )
    lea = enrolments["Léa"]
    book_month(lea, lunch, september())
    for day in days()[1:]:
        tick(lea, lunch, day, "present", lunch.starts, lunch.ends)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start(regie, september(), dry_run=False, today=after(september()))
    lines = Invoice.objects.get().lines.filter(date=days()[0])
    (line,) = lines
    assert line.case == "absent"
    assert "non pointée" in line.explanation
    minutes = (lunch.ends.hour - lunch.starts.hour) * 60 + (
        lunch.ends.minute - lunch.starts.minute
    )
    assert line.quantity == slot_count(30, "started", 0, minutes) > 0
    assert line.unit_price == (line.base_price * Decimal("0.5")).quantize(
        Decimal("0.01")
    )


def test_the_dry_run_lists_the_unchecked_days_for_the_agents(
    regie, booked_unticked, lunch, django_capture_on_commit_callbacks
):
    lea = booked_unticked["Léa"]
    for name, enrolment in booked_unticked.items():
        for day in days():
            if not (name == "Léa" and day == days()[0]):
                tick(enrolment, lunch, day, "present")
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start(regie, september(), dry_run=True, today=after(september()))
    anomalies = [
        text
        for family in RunFamily.objects.filter(run=run)
        for text in family.anomalies
        if "non pointée" in text
    ]
    assert len(anomalies) == 1
    assert lea.child.first_name in anomalies[0]
    assert f"1 jour ({days()[0]:%d/%m})" in anomalies[0]
    assert "facturée comme une absence" in anomalies[0]


def test_time_slots_and_a_late_pick_up_are_billed_from_the_ticked_times(
    regie, canteen, enrolments, lunch, django_capture_on_commit_callbacks
):
    make_rules(
        canteen,
        regie,
        slot_minutes=30,
        late_after=datetime.time(13, 30),
        late_amount="5.00",
    )
    lea = enrolments["Léa"]
    book_month(lea, lunch, september())
    for day in days():
        tick(lea, lunch, day, "present", datetime.time(11, 45), datetime.time(12, 45))
    Mark.objects.filter(enrolment=lea, date=days()[0]).update(
        departure=datetime.time(13, 40)
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start(regie, september(), dry_run=False, today=after(september()))
    lines = Invoice.objects.get().lines.all()
    on_first = {line.case: line for line in lines if line.date == days()[0]}
    assert on_first["present"].quantity == 4  # 11:45–13:40, four started slots
    assert on_first["late_pickup"].amount == Decimal("5.00")
    second = [line for line in lines if line.date == days()[1]]
    assert [(line.case, line.quantity) for line in second] == [("present", 2)]


def test_a_batch_reads_only_its_own_enrolments_bookings_and_marks(
    booked_unticked, lunch
):
    """A run reads the facts batch by batch: reading the whole service's month for
    each batch made a large city's run quadratic (every batch read every family)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lea, tom = booked_unticked["Léa"], booked_unticked["Tom"]
    tick(tom, lunch, days()[0], "present")
    tick(lea, lunch, days()[1], "absent")
    with CaptureQueriesContext(connection) as queries:
        found = month_of(lea)
    assert occurrence_on(found, days()[1]).attendance == "absent"
    tables = (Booking._meta.db_table, Mark._meta.db_table)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if any(f'FROM "{table}"' in q["sql"] for table in tables)
    ]
    assert reads
    for sql in reads:
        assert '"enrolment_id" IN' in sql, sql
