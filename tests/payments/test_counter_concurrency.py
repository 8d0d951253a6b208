"""On PostgreSQL, two agents at two counters record a payment of the same invoice at
the same instant: the invoice is never paid beyond its amount, nothing is lost (the
second payment is refused when the agent's view is stale, or kept as credit), and the
receipts get consecutive numbers."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from family_portal.billing.models import Invoice, InvoiceLine, Regie
from family_portal.payments.models import Allocation, Method, Payment
from family_portal.payments.services import (
    BalanceChanged,
    credit_of,
    record_payment,
)
from tests.factories import UserFactory
from tests.family_portal.factories import FamilyFactory
from tests.load.test_enrolment_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invoice(db):
    regie = Regie.objects.create(name="Régie", code="ENF")
    return Invoice.objects.create(
        regie=regie,
        family=FamilyFactory(),
        number="ENF-2026-000001",
        issue_date=datetime.date(2026, 11, 3),
        total=Decimal("40.00"),
    )


@pytest.fixture
def agents(db):
    return [UserFactory(username="guichet.1"), UserFactory(username="guichet.2")]


def pay(invoice, agent, seen=None):
    def target():
        try:
            return record_payment(
                invoice.family,
                "40.00",
                Method.CASH,
                received_on=timezone.localdate(),
                recorded_by=agent,
                invoices=[invoice.pk],
                expected_outstanding=seen,
            )
        except BalanceChanged as refusal:
            return str(refusal)

    return target


def test_two_agents_at_once_with_the_same_view_record_one_payment(invoice, agents):
    seen = {invoice.pk: invoice.outstanding()}  # both screens showed 40 € to pay
    for _ in range(3):
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=0)
        Allocation.objects.all().delete()
        Payment.objects.all().delete()
        results = run_together([pay(invoice, agent, seen) for agent in agents])
        recorded = [r for r in results if isinstance(r, Payment)]
        refused = [r for r in results if isinstance(r, str)]
        assert len(recorded) == 1 and len(refused) == 1, results
        assert "a changé" in refused[0]
        assert Invoice.objects.get(pk=invoice.pk).paid_amount == Decimal("40.00")
        assert Payment.objects.count() == 1


def test_two_agents_at_once_never_overpay_the_invoice_silently(invoice, agents):
    results = run_together([pay(invoice, agent) for agent in agents])
    assert all(isinstance(r, Payment) for r in results), results
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("40.00")
    assert invoice.allocations.aggregate(t=Sum("amount"))["t"] == Decimal("40.00")
    # The second 40 € is not lost: it is the family's credit, traced to its payment.
    assert credit_of(invoice.family) == Decimal("40.00")
    numbers = sorted(r.receipt_number for r in results)
    year = timezone.localdate().year
    assert numbers == [f"REC-ENF-{year}-000001", f"REC-ENF-{year}-000002"]


def test_a_credit_note_and_a_payment_at_once_lose_nothing(invoice, agents):
    """An agent issues a credit note of 15 € while another records 40 € at the counter:
    whichever comes first, the invoice ends paid at its net amount (25 €) and the rest
    (15 €) is the family's credit, traced; no deadlock."""
    from family_portal.billing import corrections, tasks

    def credit_note():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(tasks, "lay_out_on_commit", lambda ids: None)
            return corrections.issue_credit_note(
                invoice, "15.00", "Sortie annulée", user=agents[0]
            )

    for _ in range(3):
        results = run_together([credit_note, pay(invoice, agents[1])])
        assert isinstance(results[1], Payment), results
        invoice.refresh_from_db()
        assert invoice.paid_amount == Decimal("25.00")
        assert invoice.outstanding() == 0
        assert invoice.allocations.aggregate(t=Sum("amount"))["t"] == Decimal("25.00")
        assert credit_of(invoice.family) == Decimal("15.00")
        Allocation.objects.all().delete()
        Payment.objects.all().delete()
        InvoiceLine.objects.filter(invoice__kind=Invoice.Kind.CREDIT_NOTE).delete()
        Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).delete()
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=0)
