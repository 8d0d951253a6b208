"""What changes after a month was billed reaches the next invoice, never the sent one:
attendance corrected after the month was closed (a correction line), a provisional price
settled later (a regularisation), for invoiced months and for months carried over under
the minimum, and both on the same month without counting anything twice."""

import datetime
from decimal import Decimal

import pytest

from family_portal import enrolment as enrolment_services
from family_portal.attendance.models import Mark, MonthClosing
from family_portal.billing import tasks
from family_portal.billing.models import Invoice, InvoiceLine, RunFamily
from family_portal.bookings.models import Booking
from family_portal.models import Enrolment
from tests.family_portal.backoffice_support import enrol, quotient

from .conftest import after, attend_month, book_month, september, service_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


def october():
    return (september() + datetime.timedelta(days=31)).replace(day=1)


def november():
    return (october() + datetime.timedelta(days=31)).replace(day=1)


def run(regie, month, capture, *, dry_run=False):
    with capture(execute=True):
        return tasks.start(regie, month, dry_run=dry_run, today=after(month))


def correct_after_closing(enrolment, day, status):
    """What the attendance app does when an agent corrects a mark of a closed month."""
    session = Mark.objects.get(enrolment=enrolment, date=day).session
    MonthClosing.objects.get_or_create(
        schedule=session.schedule, month=day.replace(day=1)
    )
    Mark.objects.filter(enrolment=enrolment, date=day).update(
        status=status, corrected=True
    )


def book_and_attend(enrolment, lunch, month):
    book_month(enrolment, lunch, month)
    attend_month(enrolment, lunch, month)


def test_a_mark_corrected_after_closing_is_a_correction_line_on_the_next_invoice(
    regie, rules, enrolments, lunch, django_capture_on_commit_callbacks
):
    lea = enrolments["Léa"]
    book_and_attend(lea, lunch, september())
    run(regie, september(), django_capture_on_commit_callbacks)
    sent = Invoice.objects.get(month=september())
    sent_lines = list(sent.lines.values_list("case", "amount"))
    days = list(service_days(september()))
    # A certificate accepted late: the 3rd day was a justified absence (factor 0).
    correct_after_closing(lea, days[2], "absent_justified")
    book_and_attend(lea, lunch, october())
    dry = run(regie, october(), django_capture_on_commit_callbacks, dry_run=True)
    preview = RunFamily.objects.get(run=dry).preview
    assert [e["case"] for e in preview["extras"]] == ["correction"]
    run(regie, october(), django_capture_on_commit_callbacks)
    following = Invoice.objects.get(month=october())
    line = following.lines.get(case=InvoiceLine.CORRECTION)
    assert line.amount == Decimal("-3.50")
    assert line.regularised_month == september() and line.enrolment_id == lea.pk
    assert f"{days[2]:%d/%m}" in line.explanation
    assert "après la clôture" in line.explanation
    assert following.total == sum(x.amount for x in following.lines.all())
    # The sent invoice is as it was sent.
    sent.refresh_from_db()
    assert list(sent.lines.values_list("case", "amount")) == sent_lines
    assert sent.total == Decimal("3.50") * len(days)
    # Corrected once: the next month finds nothing left.
    book_and_attend(lea, lunch, november())
    run(regie, november(), django_capture_on_commit_callbacks)
    third = Invoice.objects.get(month=november())
    assert not third.lines.filter(case=InvoiceLine.CORRECTION).exists()


def test_a_family_with_nothing_booked_this_month_still_gets_its_correction(
    regie, rules, enrolments, lunch, django_capture_on_commit_callbacks
):
    lea = enrolments["Léa"]
    book_and_attend(lea, lunch, september())
    run(regie, september(), django_capture_on_commit_callbacks)
    days = list(service_days(september()))
    # Found after closing: the first day's booking was never made (she came without
    # one), and she was absent on the second day.
    Booking.objects.filter(enrolment=lea, date=days[0]).delete()
    correct_after_closing(lea, days[1], "absent")
    Mark.objects.filter(enrolment=lea, date=days[0]).update(corrected=True)
    # October: nothing booked.
    run(regie, october(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(month=october())
    (line,) = invoice.lines.filter(case=InvoiceLine.CORRECTION)
    # days[0]: present without booking now, 1,5 × 3,50 = 5,25 instead of 3,50;
    # days[1]: absent on a booked day, 1 × 3,50: unchanged.
    assert line.amount == Decimal("1.75")
    assert invoice.total == Decimal("1.75")


def test_a_carried_over_month_at_a_provisional_price_is_regularised(
    regie, rules, giraud_family, commune, lunch, django_capture_on_commit_callbacks
):
    lea, tom = enrol(
        giraud_family,
        commune,
        lunch.schedule.period,
        source=Enrolment.QfSource.UNAVAILABLE,
    )
    first_day = next(service_days(september()))
    Booking.objects.create(
        enrolment=lea,
        session=lunch,
        date=first_day,
        status="booked",
        booked_at=lea.created_at,
    )
    Mark.objects.create(enrolment=lea, session=lunch, date=first_day, status="present")
    run(regie, september(), django_capture_on_commit_callbacks)
    assert not Invoice.objects.exists()  # 3,50 € provisional < 5,00 €: carried over
    enrolment_services.reprice_family_pending(
        giraud_family, commune, quotient(giraud_family, "1200")
    )
    settled = Enrolment.objects.get(pk=lea.pk).amount
    assert settled < Decimal("3.50")
    october_days = list(service_days(october()))[:2]
    for day in october_days:
        Booking.objects.create(
            enrolment=lea, session=lunch, date=day, status="booked", booked_at=day
        )
        Mark.objects.create(enrolment=lea, session=lunch, date=day, status="present")
    run(regie, october(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    carried = invoice.lines.get(case=InvoiceLine.CARRIED_IN)
    assert carried.amount == Decimal("3.50")
    regularisation = invoice.lines.get(case=InvoiceLine.REGULARISATION)
    assert regularisation.regularised_month == september()
    assert regularisation.amount == settled - Decimal("3.50")
    # September's one meal and October's two, all at the settled price.
    assert invoice.total == settled * 3


def test_a_provisional_price_settled_and_a_corrected_mark_on_the_same_month(
    regie, rules, giraud_family, commune, lunch, django_capture_on_commit_callbacks
):
    lea, tom = enrol(
        giraud_family,
        commune,
        lunch.schedule.period,
        source=Enrolment.QfSource.UNAVAILABLE,
    )
    book_and_attend(lea, lunch, september())
    run(regie, september(), django_capture_on_commit_callbacks)
    provisional = Invoice.objects.get().lines.first().base_price
    days = list(service_days(september()))
    enrolment_services.reprice_family_pending(
        giraud_family, commune, quotient(giraud_family, "1200")
    )
    settled = Enrolment.objects.get(pk=lea.pk).amount
    correct_after_closing(lea, days[0], "absent_justified")
    book_and_attend(lea, lunch, october())
    run(regie, october(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get(month=october())
    regularisation = invoice.lines.get(case=InvoiceLine.REGULARISATION)
    correction = invoice.lines.get(case=InvoiceLine.CORRECTION)
    assert regularisation.amount == (settled - provisional) * len(days)
    assert correction.amount == -settled
    # September now costs one meal less, at the settled price: nothing counted twice.
    september_now = settled * (len(days) - 1)
    assert (
        provisional * len(days) + regularisation.amount + correction.amount
        == september_now
    )
    # Nothing left for November.
    book_and_attend(lea, lunch, november())
    run(regie, november(), django_capture_on_commit_callbacks)
    third = Invoice.objects.get(month=november())
    assert not third.lines.filter(
        case__in=[InvoiceLine.CORRECTION, InvoiceLine.REGULARISATION]
    ).exists()
