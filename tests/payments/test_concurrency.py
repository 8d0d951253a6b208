"""On PostgreSQL, two workers at once: two notifications of one paid operation record
one payment; two "Payer en ligne" of one invoice start one operation."""

import datetime
from decimal import Decimal

import pytest

from family_portal.billing.models import Invoice, Regie
from family_portal.payments.models import Payment, PaymentOperation
from family_portal.payments.services import (
    PaymentRefused,
    check_operation,
    start_online_payment,
)
from tests.family_portal.factories import FamilyFactory
from tests.load.test_enrolment_concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INVOICES = 8


@pytest.fixture
def invoices(parent):
    regie = Regie.objects.create(
        name="Régie", code="ENF", payfip_client_number="123456"
    )
    return [
        Invoice.objects.create(
            regie=regie,
            family=FamilyFactory(users=[parent] if n == 0 else []),
            number=f"ENF-2026-{n:06d}",
            issue_date=datetime.date(2026, 11, 3),
            total=Decimal("42.50"),
        )
        for n in range(INVOICES)
    ]


def start(invoice, parent):
    return start_online_payment(
        invoice,
        user=parent,
        email=parent.email,
        notify_url="http://127.0.0.1:9/notification/",  # nobody: we call check ourselves
        return_url="http://127.0.0.1:9/retour/",
    )


def test_two_notifications_at_once_record_one_payment(payfip, invoices, parent):
    operations = [start(invoice, parent) for invoice in invoices]
    for operation in operations:
        payfip.choose(operation.idop, "P")
    payfip.faults(latency=0.2)  # both workers hold PayFiP's answer before writing
    for operation in operations:
        results = run_together([lambda o=operation: check_operation(o.idop)] * 2)
        assert [r.status for r in results] == ["paid", "paid"]
    assert Payment.objects.count() == INVOICES
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.paid_amount == Decimal("42.50")


def test_two_pay_online_clicks_at_once_start_one_operation(payfip, invoices, parent):
    def click():
        try:
            return start(invoices[0], parent).idop
        except PaymentRefused as refusal:
            return str(refusal)

    results = run_together([click, click])
    assert PaymentOperation.objects.filter(invoice=invoices[0]).count() == 1
    assert sum("déjà en cours" in r for r in results) == 1


def test_two_notifications_at_once_over_http_record_one_payment(
    payfip, invoices, parent, live_server
):
    """The same, through the notification endpoint of a live server: two POSTs of one
    idOp at the same instant, each in its own server thread and connection."""
    from tests.payments.test_online import post_notification

    operations = [start(invoice, parent) for invoice in invoices]
    for operation in operations:
        payfip.choose(operation.idop, "P")  # its own notification goes nowhere
    payfip.faults(latency=0.2)
    for operation in operations:
        statuses = run_together(
            [lambda o=operation: post_notification(live_server, idOp=o.idop)] * 2
        )
        assert statuses == [200, 200]
    assert Payment.objects.count() == INVOICES
    assert PaymentOperation.objects.filter(status="paid").count() == INVOICES
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.paid_amount == Decimal("42.50")
