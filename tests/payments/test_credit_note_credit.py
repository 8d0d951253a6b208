"""A credit note (avoir) against an invoice already (partly) paid: what was paid beyond
the invoice's new net amount becomes the family's credit, traced to the payment and the
credit note, used by the next invoice, shown on Mon compte and Mes factures, exported;
a payment cancelled afterwards still unwinds exactly."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from activities.pricing.formatting import format_money
from family_portal.billing import corrections, tasks
from family_portal.billing import export as billing_export
from family_portal.billing.models import Invoice, InvoiceStatus
from family_portal.payments import export as payments_export
from family_portal.payments.ledger import use_credit_on_issued
from family_portal.payments.models import Allocation, Method
from family_portal.payments.services import credit_of, record_payment, reverse_payment
from tests.factories import UserFactory

from .conftest import another_invoice

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 10)


@pytest.fixture
def agent(db):
    return UserFactory(username="regisseur")


@pytest.fixture(autouse=True)
def no_pdfs(monkeypatch):
    monkeypatch.setattr(tasks, "lay_out_on_commit", lambda ids: None)


def pay(invoice, amount, agent, method=Method.CASH, **fields):
    if method == Method.CHEQUE:
        fields.setdefault("reference", "1234567")
    return record_payment(
        invoice.family,
        amount,
        method,
        received_on=DAY,
        recorded_by=agent,
        invoices=[invoice],
        **fields,
    )


def credit_note(invoice, amount, agent):
    return corrections.issue_credit_note(
        invoice, amount, "Repas non servis (grève)", user=agent, today=DAY
    )


def test_a_credit_note_on_a_paid_invoice_becomes_the_family_s_credit(invoice, agent):
    payment = pay(invoice, "42.50", agent)
    note = credit_note(invoice, "12.50", agent)
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("30.00")  # its new net amount, paid
    assert invoice.outstanding() == 0
    assert invoice.status() == InvoiceStatus.PAID
    assert credit_of(invoice.family) == Decimal("12.50")
    rows = Allocation.objects.filter(kind=Allocation.Kind.CREDITED)
    assert {(row.invoice_id, row.amount) for row in rows} == {
        (invoice.pk, Decimal("-12.50")),
        (None, Decimal("12.50")),
    }
    assert all(row.payment == payment and row.credit_note == note for row in rows)
    assert all(row.created_by == agent for row in rows)
    # A payment's rows still add up to its amount.
    assert sum(a.amount for a in payment.allocations.all()) == payment.amount


def test_only_what_was_paid_beyond_the_new_net_amount_moves(invoice, agent):
    pay(invoice, "30.00", agent)
    credit_note(invoice, "10.00", agent)  # net 32.50, paid 30: nothing moves
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("30.00")
    assert invoice.outstanding() == Decimal("2.50")
    assert credit_of(invoice.family) == 0
    credit_note(invoice, "12.50", agent)  # net 20.00, paid 30: 10 move
    invoice.refresh_from_db()
    assert invoice.paid_amount == Decimal("20.00")
    assert credit_of(invoice.family) == Decimal("10.00")


def test_the_latest_payments_give_back_first(invoice, agent):
    cash = pay(invoice, "30.00", agent)
    cheque = pay(invoice, "12.50", agent, Method.CHEQUE, bank="Banque Postale")
    credit_note(invoice, "20.00", agent)
    moved = {
        row.payment_id: row.amount
        for row in Allocation.objects.filter(
            kind=Allocation.Kind.CREDITED, invoice__isnull=True
        )
    }
    assert moved == {cheque.pk: Decimal("12.50"), cash.pk: Decimal("7.50")}
    assert credit_of(invoice.family) == Decimal("20.00")


def test_the_credit_pays_the_next_invoice(invoice, agent):
    pay(invoice, "42.50", agent)
    credit_note(invoice, "12.50", agent)
    following = another_invoice(invoice, 1)
    assert use_credit_on_issued([following.pk]) == Decimal("12.50")
    following.refresh_from_db()
    assert following.paid_amount == Decimal("12.50")
    assert credit_of(invoice.family) == 0


def test_a_payment_cancelled_after_the_credit_note_unwinds_exactly(invoice, agent):
    payment = pay(invoice, "42.50", agent)
    credit_note(invoice, "12.50", agent)
    reverse_payment(payment, reason="Saisi sur la mauvaise famille", by=agent)
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0
    assert invoice.outstanding() == Decimal("30.00")
    assert credit_of(invoice.family) == 0


def test_mon_compte_and_mes_factures_show_the_credit(client, parent, invoice, agent):
    pay(invoice, "42.50", agent)
    note = credit_note(invoice, "12.50", agent)
    client.force_login(parent)
    text = client.get(reverse("family_portal:payments:account")).content.decode()
    assert f"Vous avez payé <strong>{format_money(Decimal('12.50'))}</strong>" in text
    assert f"avoir n° {note.number}" in text
    text = client.get(reverse("family_portal:billing:list")).content.decode()
    assert f"La commune vous doit <strong>{format_money(Decimal('12.50'))}" in text


def test_the_accounting_exports_trace_the_move(invoice, agent):
    pay(invoice, "42.50", agent)
    note = credit_note(invoice, "12.50", agent)
    lines = list(
        csv.DictReader(
            io.StringIO(payments_export.to_csv(invoice.regie, DAY).lstrip("\ufeff")),
            delimiter=";",
        )
    )
    moved = [line for line in lines if line["avoir"] == note.number]
    assert sorted((line["facture"], line["montant"]) for line in moved) == [
        ("", "12.50"),
        (invoice.number, "-12.50"),
    ]
    assert sum(Decimal(line["montant"]) for line in lines) == Decimal("42.50")
    Invoice.objects.filter(pk=invoice.pk).update(month=DAY.replace(day=1))
    rows = list(billing_export.rows(invoice.regie, DAY))
    paid = {row[0]: row[9] for row in rows}
    assert paid[invoice.number] == "30.00"
    assert Invoice.objects.get(pk=note.pk).paid_amount == 0
