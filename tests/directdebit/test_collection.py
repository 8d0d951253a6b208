"""On the collection date the debit is a payment; a returned debit reverses it, reopens
the invoice, tells the family, and a closed account suspends the mandate."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from family_portal.directdebit import collection, export
from family_portal.directdebit.models import DebitLine, DebitReturn, Mandate
from family_portal.payments.models import Method, Payment

from .conftest import TODAY, make_invoice

pytestmark = pytest.mark.django_db

COLLECTED_ON = datetime.date(2026, 12, 15)


@pytest.fixture
def line(family, regie, mandate, agent):
    make_invoice(
        family,
        regie,
        "ENF-2026-000301",
        issued=datetime.date(2026, 11, 3),
        due=COLLECTED_ON,
        month=datetime.date(2026, 10, 1),
    )
    export.export(agent, today=TODAY)
    return DebitLine.objects.get()


def test_the_invoice_is_paid_on_the_collection_date_once(line):
    assert collection.collect_due(COLLECTED_ON - datetime.timedelta(days=1)) == 0
    line.invoice.refresh_from_db()
    assert line.invoice.outstanding() == Decimal("42.50")
    assert collection.collect_due(COLLECTED_ON) == 1
    assert collection.collect_due(COLLECTED_ON) == 0  # idempotent
    line.refresh_from_db()
    line.invoice.refresh_from_db()
    assert line.status == DebitLine.Status.COLLECTED
    assert line.invoice.outstanding() == 0
    payment = Payment.objects.get()
    assert payment == line.payment
    assert payment.method == Method.DIRECT_DEBIT and payment.amount == Decimal("42.50")
    assert (
        payment.received_on == COLLECTED_ON and payment.reference == line.end_to_end_id
    )


def test_the_nightly_command_collects(line, settings):
    call_command("collect_direct_debits")  # today: before the collection date
    line.refresh_from_db()
    expected = (
        DebitLine.Status.COLLECTED
        if datetime.date.today() >= COLLECTED_ON
        else DebitLine.Status.SENT
    )
    assert line.status == expected


def test_a_return_reopens_the_invoice_tells_the_family_and_is_audited(
    line, agent, mailoutbox, django_capture_on_commit_callbacks
):
    collection.collect_due(COLLECTED_ON)
    line.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        returned = collection.record_return(
            line, reason_code="AM04", returned_on=datetime.date(2026, 12, 18), by=agent
        )
    line.refresh_from_db()
    line.invoice.refresh_from_db()
    assert line.status == DebitLine.Status.RETURNED
    assert line.invoice.outstanding() == Decimal("42.50")
    payment = line.payment
    payment.refresh_from_db()
    assert payment.is_reversed and payment.reversed_by == agent
    assert "AM04" in payment.reversal_reason
    returned.refresh_from_db()
    assert returned.entered_by == agent and returned.family_told_at
    (mail,) = mailoutbox
    assert mail.to == ["anne.giraud@example.org"]
    assert "rejeté" in mail.subject and "ENF-2026-000301" in mail.subject
    assert "Provision insuffisante" in mail.body and "42,50" in mail.body
    assert "ne peut plus être utilisé" not in mail.body
    assert line.mandate.status == Mandate.Status.ACTIVE  # insufficient funds: kept
    with pytest.raises(collection.ReturnRefused, match="déjà"):
        collection.record_return(
            line, reason_code="AM04", returned_on=datetime.date(2026, 12, 18), by=agent
        )
    assert DebitReturn.objects.count() == 1


def test_an_account_closed_return_suspends_the_mandate(
    line, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        collection.record_return(
            line, reason_code="AC04", returned_on=datetime.date(2026, 12, 12), by=agent
        )
    mandate = Mandate.objects.get()
    assert mandate.status == Mandate.Status.SUSPENDED
    event = mandate.events.get(kind="suspended")
    assert event.by == agent and event.by_agent and "AC04" in event.reason
    assert "ne peut plus être utilisé" in mailoutbox[0].body
    # Returned before its date: no payment is recorded on the collection date.
    assert collection.collect_due(COLLECTED_ON) == 0
    assert not Payment.objects.exists()
    assert export.candidates(COLLECTED_ON) == []


def test_agents_enter_a_return_from_the_batch(
    agent_client, line, mailoutbox, django_capture_on_commit_callbacks
):
    collection.collect_due(COLLECTED_ON)
    url = reverse("directdebit_admin:line_return", args=[line.pk])
    assert agent_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            url, {"reason_code": "MD06", "returned_on": "2026-12-20", "note": ""}
        )
    assert response.status_code == 302
    assert DebitReturn.objects.get().reason_code == "MD06"
    line.invoice.refresh_from_db()
    assert line.invoice.outstanding() == Decimal("42.50")
    assert len(mailoutbox) == 1
    page = agent_client.get(
        reverse("directdebit_admin:batch_detail", args=[line.batch_id])
    )
    assert "MD06" in page.content.decode()
