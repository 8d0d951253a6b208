"""The online payments recorded before allocations existed keep their rows: each becomes
a payment of its invoice's family and régie with one allocation on that invoice."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from family_portal.billing.models import Invoice
from family_portal.payments.models import Payment
from family_portal.payments.services import paid_between
from tests.family_portal.factories import FamilyFactory


@pytest.mark.django_db(transaction=True)
def test_online_payments_move_onto_allocations():
    family = FamilyFactory()
    before = [("payments", "0001_initial")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        Regie = apps.get_model("billing", "Regie")
        OldInvoice = apps.get_model("billing", "Invoice")
        Operation = apps.get_model("payments", "PaymentOperation")
        OldPayment = apps.get_model("payments", "Payment")
        regie = Regie.objects.create(name="Régie", code="ENF")
        invoice = OldInvoice.objects.create(
            regie=regie,
            family_id=family.pk,
            number="ENF-2026-000001",
            issue_date=datetime.date(2026, 10, 3),
            total=Decimal("42.50"),
            paid_amount=Decimal("42.50"),
        )
        operation = Operation.objects.create(
            invoice=invoice,
            idop="OP1",
            refdet="F1ABCDEF",
            amount_cents=4250,
            email="parent@example.org",
            status="paid",
            numauto="A12345",
            dattrans="04102026",
            heurtrans="1012",
        )
        old = OldPayment.objects.create(
            invoice=invoice,
            amount=Decimal("42.50"),
            method="online",
            operation=operation,
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    payment = Payment.objects.get(pk=old.pk)
    assert (payment.family_id, payment.regie_id) == (family.pk, regie.pk)
    assert payment.received_on == datetime.date(2026, 10, 4)
    assert payment.reference == "A12345"
    assert payment.operation_id == operation.pk
    allocation = payment.allocations.get()
    assert (allocation.invoice_id, allocation.amount) == (invoice.pk, Decimal("42.50"))
    assert Invoice.objects.get(pk=invoice.pk).paid_amount == Decimal("42.50")
    assert paid_between(
        [invoice.pk], datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
    ) == {invoice.pk: Decimal("42.50")}
