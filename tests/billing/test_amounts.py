"""Amounts across months: a settled provisional price regularised, a small month carried
over, credit notes and corrections that never rewrite a sent invoice."""

import datetime
from decimal import Decimal

import pytest

from family_portal import enrolment as enrolment_services
from family_portal.attendance.models import Mark
from family_portal.billing import corrections, tasks
from family_portal.billing.models import Adjustment, Invoice, InvoiceLine, InvoiceStatus
from family_portal.bookings.models import AbsenceReport, Booking
from family_portal.models import Enrolment
from tests.family_portal.backoffice_support import enrol, quotient

from .conftest import after, attend_month, book_month, september, service_days

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_pdfs(settings):
    settings.BILLING_LAY_OUT_ON_ISSUE = False


def october():
    return (september() + datetime.timedelta(days=31)).replace(day=1)


def run(regie, month, capture):
    with capture(execute=True):
        return tasks.start(regie, month, dry_run=False, today=after(month))


def test_a_settled_provisional_price_is_regularised_once_on_the_next_invoice(
    regie, rules, giraud_family, commune, lunch, django_capture_on_commit_callbacks
):
    enrolled = enrol(
        giraud_family,
        commune,
        lunch.schedule.period,
        source=Enrolment.QfSource.UNAVAILABLE,
    )
    assert {e.status for e in enrolled} == {Enrolment.Status.QF_PENDING}
    for item in enrolled:
        book_month(item, lunch, september())
        book_month(item, lunch, october())
    run(regie, september(), django_capture_on_commit_callbacks)
    first = Invoice.objects.get(month=september())
    provisional = first.lines.first().base_price
    # The QF arrives: 1 200 € gives 3,40 € a meal.
    enrolment_services.reprice_family_pending(
        giraud_family, commune, quotient(giraud_family, "1200")
    )
    settled = Enrolment.objects.get(pk=enrolled[0].pk).amount
    assert settled < provisional
    run(regie, october(), django_capture_on_commit_callbacks)
    second = Invoice.objects.get(month=october())
    regularisations = second.lines.filter(case=InvoiceLine.REGULARISATION)
    days = len(list(service_days(september())))
    assert regularisations.count() == 2  # one per child's enrolment
    for line in regularisations:
        assert line.amount == (settled - provisional) * days
        assert line.regularised_month == september()
        assert (
            "tarif provisoire" in line.explanation and "définitif" in line.explanation
        )
    october_lines = second.lines.exclude(case=InvoiceLine.REGULARISATION)
    assert {line.base_price for line in october_lines} == {settled}
    assert second.total == sum(line.amount for line in second.lines.all())
    # The sent invoice is untouched, and a later month regularises nothing again.
    first.refresh_from_db()
    assert {line.base_price for line in first.lines.all()} == {provisional}
    november = (october() + datetime.timedelta(days=31)).replace(day=1)
    for item in enrolled:
        book_month(item, lunch, november)
    run(regie, november, django_capture_on_commit_callbacks)
    third = Invoice.objects.get(month=november)
    assert not third.lines.filter(case=InvoiceLine.REGULARISATION).exists()


def test_a_month_under_the_minimum_is_carried_over_and_shown_next_month(
    regie, rules, enrolments, lunch, django_capture_on_commit_callbacks
):
    lea = enrolments["Léa"]
    first_day = next(service_days(september()))
    Booking.objects.create(
        enrolment=lea,
        session=lunch,
        date=first_day,
        status="booked",
        booked_at=lea.created_at,
    )
    run(regie, september(), django_capture_on_commit_callbacks)
    assert not Invoice.objects.exists()  # 3,50 € < 5,00 €
    october_day = next(service_days(october()))
    Booking.objects.create(
        enrolment=lea,
        session=lunch,
        date=october_day,
        status="booked",
        booked_at=lea.created_at,
    )
    run(regie, october(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    carried = invoice.lines.get(case=InvoiceLine.CARRIED_IN)
    assert carried.amount == Decimal("3.50")
    assert "minimum de facturation" in carried.explanation
    assert invoice.total == Decimal("7.00")


def test_a_justified_absence_and_a_closure_are_billed_by_the_rules(
    regie, rules, enrolments, lunch, parent, agent, django_capture_on_commit_callbacks
):
    from family_portal.bookings.models import CalendarChange

    lea = enrolments["Léa"]
    book_month(lea, lunch, september())
    days = list(service_days(september()))
    attend_month(lea, lunch, september())
    Mark.objects.filter(enrolment=lea, date__in=[days[2], days[3], days[5]]).delete()
    AbsenceReport.objects.create(
        child=lea.child,
        first_day=days[2],
        last_day=days[3],
        status=AbsenceReport.Status.JUSTIFIED,
        reported_by=parent,
    )
    CalendarChange.objects.create(
        schedule=lunch.schedule, date=days[5], kind="closure", reason="Grève"
    )
    run(regie, september(), django_capture_on_commit_callbacks)
    lines = {line.date: line for line in Invoice.objects.get().lines.all()}
    assert lines[days[2]].case == "absent_justified" and lines[days[2]].amount == 0
    assert lines[days[5]].case == "closed" and lines[days[5]].amount == 0
    assert lines[days[0]].case == "present"


def test_a_credit_note_never_rewrites_the_invoice(
    regie, booked, agent, django_capture_on_commit_callbacks
):
    run(regie, september(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    total = invoice.total
    with pytest.raises(corrections.CorrectionRefused, match="motif"):
        corrections.issue_credit_note(invoice, "10", "  ", user=agent)
    with pytest.raises(corrections.CorrectionRefused, match="dépasser"):
        corrections.issue_credit_note(invoice, total + 1, "Erreur", user=agent)
    with django_capture_on_commit_callbacks(execute=False):
        note = corrections.issue_credit_note(
            invoice, "7,00", "Deux repas comptés un jour de grève", user=agent
        )
    invoice.refresh_from_db()
    assert invoice.total == total and note.total == Decimal("7.00")
    assert note.number.startswith("AV-ENF-") and note.created_by == agent
    assert invoice.outstanding() == total - Decimal("7.00")
    assert invoice.status(invoice.issue_date) == InvoiceStatus.TO_PAY
    with django_capture_on_commit_callbacks(execute=False):
        corrections.issue_credit_note(invoice, total - 7, "Solde annulé", user=agent)
    assert invoice.status() == InvoiceStatus.CREDITED


def test_a_correction_goes_on_the_next_invoice_once(
    regie,
    rules,
    enrolments,
    lunch,
    agent,
    giraud_family,
    django_capture_on_commit_callbacks,
):
    with pytest.raises(corrections.CorrectionRefused):
        corrections.add_correction(regie, giraud_family, "abc", "x", user=agent)
    adjustment = corrections.add_correction(
        regie, giraud_family, "-2,50", "Repas non servi le 3", user=agent
    )
    book_month(enrolments["Léa"], lunch, september())
    run(regie, september(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    line = invoice.lines.get(case=InvoiceLine.CORRECTION)
    assert line.amount == Decimal("-2.50") and "Repas non servi" in line.explanation
    assert Adjustment.objects.get(pk=adjustment.pk).line == line
    days = len(list(service_days(september())))
    assert invoice.total == Decimal("3.50") * days - Decimal("2.50")


def test_status_follows_payments_and_due_date(
    regie, booked, django_capture_on_commit_callbacks
):
    run(regie, september(), django_capture_on_commit_callbacks)
    invoice = Invoice.objects.get()
    assert invoice.status(invoice.due_date) == InvoiceStatus.TO_PAY
    later = invoice.due_date + datetime.timedelta(days=1)
    assert invoice.status(later) == InvoiceStatus.OVERDUE
    invoice.paid_amount = Decimal("10.00")
    assert invoice.status(later) == InvoiceStatus.PARTLY_PAID
    invoice.paid_amount = invoice.total
    assert invoice.status(later) == InvoiceStatus.PAID
