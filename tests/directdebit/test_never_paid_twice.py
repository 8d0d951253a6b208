"""An invoice the direct debit takes is never offered "Payer en ligne" (nor can it be
paid online by a stale page), and says instead when and from which account it will be
debited; a payment made another way before the file lowers the debit or leaves the
invoice out; one made after the file is kept as the family's credit, never lost."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from family_portal.directdebit import collection, export
from family_portal.directdebit.models import DebitLine, DebitReturn
from family_portal.payments.models import Method, OperationStatus, PaymentOperation
from family_portal.payments.services import credit_of, record_payment

from .conftest import make_invoice, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def online_regie(regie):
    regie.payfip_client_number = "123456"
    regie.save()
    return regie


@pytest.fixture
def signed(family, parent, today):
    return sign(family, parent, signed_on=today - datetime.timedelta(days=60))


def invoice_due(family, regie, number, today, *, issued_days_ago=5, due_in=20):
    return make_invoice(
        family,
        regie,
        number,
        issued=today - datetime.timedelta(days=issued_days_ago),
        due=today + datetime.timedelta(days=due_in),
        month=datetime.date(2024, int(number[-2:]), 1),
    )


def page(client, invoice):
    return client.get(
        reverse("family_portal:billing:detail", args=[invoice.pk])
    ).content.decode()


def listing(client):
    return client.get(reverse("family_portal:billing:list")).content.decode()


def pay_online(client, invoice):
    return client.post(
        reverse("family_portal:payments:pay_online", args=[invoice.pk]), follow=True
    )


def test_an_invoice_sent_in_a_debit_file_offers_no_online_payment(
    client, parent, family, online_regie, signed, agent, today
):
    invoice = invoice_due(family, online_regie, "ENF-2026-000501", today)
    export.export(agent, today=today)
    assert DebitLine.objects.filter(invoice=invoice).exists()
    client.force_login(parent)
    text = page(client, invoice)
    assert "Payer en ligne" not in text
    assert "sera prélevée le" in text and "se terminant par 0189" in text
    assert "prélèvement le" in listing(client)
    # A page left open before the file: the server refuses, in French.
    response = pay_online(client, invoice)
    assert "ne se paie plus en ligne" in response.content.decode()
    assert not PaymentOperation.objects.exists()


def test_an_invoice_the_mandate_will_debit_says_so_before_paying_online(
    client, parent, family, online_regie, signed, today
):
    invoice = invoice_due(family, online_regie, "ENF-2026-000502", today)
    client.force_login(parent)
    text = page(client, invoice)
    assert "sera prélevée le" in text and "se terminant par 0189" in text
    assert "seul ce qui resterait dû sera prélevé" in text  # paid before the file
    assert "prélèvement le" in listing(client)


def test_an_export_made_while_payfip_answers_wins_over_the_online_payment(
    client, parent, family, online_regie, signed, agent, today, monkeypatch
):
    """The parent clicks "Payer en ligne" on an invoice the mandate will debit; while
    PayFiP creates the operation an agent exports the debit file: the operation is
    not recorded and the parent is told, in French, that the debit takes it."""
    from family_portal.payments import services

    invoice = invoice_due(family, online_regie, "ENF-2026-000510", today)

    def payfip_meanwhile(**kwargs):
        export.export(agent, today=today)
        return "op-trop-tard"

    monkeypatch.setattr(services, "create_operation", payfip_meanwhile)
    client.force_login(parent)
    response = pay_online(client, invoice)
    assert "ne se paie plus en ligne" in response.content.decode()
    assert not PaymentOperation.objects.exists()
    assert DebitLine.objects.get().invoice == invoice


def test_an_invoice_without_the_notice_period_is_paid_online(
    client, parent, family, online_regie, today
):
    # Signed 3 days ago: an invoice due in 10 days had not the 14 days' notice.
    sign(family, parent, signed_on=today - datetime.timedelta(days=3))
    short = invoice_due(family, online_regie, "ENF-2026-000503", today, due_in=10)
    client.force_login(parent)
    text = page(client, short)
    assert "ne sera pas prélevée" in text and "Payer en ligne" in text
    assert "prélèvement le" not in listing(client)


def test_an_invoice_no_file_took_in_time_is_paid_online(
    client, parent, family, online_regie, signed, today
):
    # Due tomorrow and in no file: no file can reach the bank in time any more.
    missed = make_invoice(
        family,
        online_regie,
        "ENF-2026-000504",
        issued=today - datetime.timedelta(days=40),
        due=today + datetime.timedelta(days=1),
        month=datetime.date(2020, 1, 1),
    )
    client.force_login(parent)
    text = page(client, missed)
    assert "ne sera pas prélevée" in text and "Payer en ligne" in text
    assert "prélèvement le" not in listing(client)


def test_a_returned_debit_is_paid_online_again(
    client, parent, family, online_regie, signed, agent, today
):
    invoice = invoice_due(family, online_regie, "ENF-2026-000505", today)
    export.export(agent, today=today)
    line = DebitLine.objects.get(invoice=invoice)
    collection.collect_due(line.collection_date)
    collection.record_return(
        line, reason_code="AM04", returned_on=line.collection_date, by=agent
    )
    assert DebitReturn.objects.filter(line=line).exists()
    client.force_login(parent)
    text = page(client, invoice)
    assert "rejeté par votre banque" in text and "Payer en ligne" in text


def test_a_counter_payment_before_the_file_lowers_the_debit_or_leaves_it_out(
    family, online_regie, signed, agent, today
):
    partly = invoice_due(family, online_regie, "ENF-2026-000506", today)
    whole = invoice_due(family, online_regie, "ENF-2026-000507", today)
    record_payment(
        family,
        "12.50",
        Method.CASH,
        received_on=today,
        recorded_by=agent,
        invoices=[partly],
    )
    record_payment(
        family,
        "42.50",
        Method.CASH,
        received_on=today,
        recorded_by=agent,
        invoices=[whole],
    )
    batch = export.export(agent, today=today)
    line = DebitLine.objects.get(batch=batch)
    assert line.invoice == partly and line.amount == Decimal("30.00")
    assert batch.total == Decimal("30.00")
    assert '<InstdAmt Ccy="EUR">30.00</InstdAmt>' in batch.content
    assert not DebitLine.objects.filter(invoice=whole).exists()


def test_an_online_payment_in_progress_keeps_the_invoice_out_of_the_file(
    family, online_regie, signed, agent, today, parent
):
    invoice = invoice_due(family, online_regie, "ENF-2026-000508", today)
    PaymentOperation.objects.create(
        invoice=invoice,
        idop="op-en-cours",
        refdet="F1ABCDEF",
        amount_cents=4250,
        email=parent.email,
        created_by=parent,
        status=OperationStatus.WAITING,
    )
    found = {c.invoice.pk: c for c in export.candidates(today)}
    assert "paiement en ligne" in found[invoice.pk].reason
    assert not found[invoice.pk].included


def test_a_payment_after_the_file_is_kept_as_credit_when_the_debit_is_collected(
    family, online_regie, signed, agent, today
):
    invoice = invoice_due(family, online_regie, "ENF-2026-000509", today)
    export.export(agent, today=today)
    line = DebitLine.objects.get(invoice=invoice)
    record_payment(
        family,
        "42.50",
        Method.CASH,
        received_on=today,
        recorded_by=agent,
        invoices=[invoice],
    )
    collection.collect_due(line.collection_date)
    invoice.refresh_from_db()
    assert invoice.paid_amount == invoice.total  # paid once
    assert credit_of(family) == Decimal("42.50")  # the debit's money, traced


def test_the_counter_warns_the_agent_of_a_debit_at_the_bank(
    client, family, online_regie, signed, agent, today
):
    at_the_bank = invoice_due(family, online_regie, "ENF-2026-000510", today)
    export.export(agent, today=today)
    not_sent = invoice_due(family, online_regie, "ENF-2026-000511", today, due_in=1)
    # A régisseur: the one who can take the payment sees the warning where he ticks.
    agent.user_permissions.add(
        Permission.objects.get(codename="record_counter_payment")
    )
    client.force_login(agent)
    text = client.get(
        reverse("payments_admin:family", kwargs={"family_pk": family.pk})
    ).content.decode()
    warning = (
        f'id="warning-{at_the_bank.pk}">Prélèvement de 42,50 € parti à la banque pour '
        "le"
    )
    assert warning in text
    assert f'aria-describedby="warning-{at_the_bank.pk}"' in text
    assert "se terminant par 0189" in text and "deux fois" in text
    # The invoice no file took is not flagged; the counter still takes both.
    assert f"warning-{not_sent.pk}" not in text
    assert text.count("(prélèvement à la banque)") == 1
