"""The reminders hear the apps that know more than billing: the payments' credit of a
family, and the direct debits on their way to the bank."""

import pytest

from family_portal.directdebit import mandates
from family_portal.directdebit.models import DebitBatch, DebitLine
from family_portal.payments.models import Method
from family_portal.payments.services import record_payment, reverse_payment
from family_portal.reminders.models import Reminder
from family_portal.reminders.services import send_reminders

from .conftest import at, day

pytestmark = pytest.mark.django_db


def test_a_credit_kept_by_the_payments_covers_the_invoice(invoice, family, regie):
    payment = record_payment(
        family,
        "50.00",
        Method.CASH,
        received_on=day(-30),
        recorded_by=None,
        invoices=[],
        regie=regie,
    )
    assert send_reminders(at(day(15))) == {}
    # The credit cancelled (a mistake at the counter): the reminder goes.
    reverse_payment(payment, reason="Saisie en double", by=None)
    assert send_reminders(at(day(16))) == {"sent_1": 1}


def test_an_invoice_sent_for_debit_waits_for_the_bank(invoice, family, parent):
    mandate = mandates.sign(
        family,
        user=parent,
        holder_name="Anne Giraud",
        street="12 rue des Écoles",
        postcode="45000",
        city="Orléans",
        iban="FR7630006000011234567890189",
    )
    batch = DebitBatch.objects.create(
        message_id="MSG-1",
        creditor_id="FR72ZZZ123456",
        total=invoice.total,
        count=1,
        content="<Document/>",
    )
    line = DebitLine.objects.create(
        batch=batch,
        invoice=invoice,
        mandate=mandate,
        amount=invoice.total,
        sequence="FRST",
        collection_date=day(14),
        end_to_end_id="E2E-1",
    )
    assert send_reminders(at(day(15))) == {}
    # Returned by the bank: the family owes it again, and is reminded.
    DebitLine.objects.filter(pk=line.pk).update(status=DebitLine.Status.RETURNED)
    assert send_reminders(at(day(16))) == {"sent_1": 1}
    assert Reminder.objects.get().invoice == invoice
