"""The agents' counter screens and the parent's account page: recording needs its own
permission, nothing typed is lost on an error, every message is French whatever language
is active (amounts written the French way), receipts are PDFs the agent and the family's
parents (only them) can download, a mistake is cancelled with its reason."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from activities.pricing.formatting import format_money
from family_portal.billing.models import Invoice, Regie
from family_portal.payments.admin_forms import (
    CounterPaymentForm,
    ExportForm,
    FamilySearchForm,
    ReversalForm,
)
from family_portal.payments.models import Method, Payment
from family_portal.payments.services import credit_of, record_payment
from tests.factories import UserFactory
from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures, by name
    agent_client_fixture,
    agent_fixture,
    groups_fixture,
)
from tests.family_portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def regie(db):
    return Regie.objects.create(name="Régie enfance", code="ENF")


@pytest.fixture
def parent(db):
    return UserFactory(email="parent.giraud@example.org")


@pytest.fixture
def family(parent):
    return FamilyFactory(users=[parent], name="Famille Giraud")


def make_invoice(regie, family, total, n):
    return Invoice.objects.create(
        regie=regie,
        family=family,
        number=f"ENF-2026-{n:06d}",
        month=datetime.date(2026, n, 1),
        issue_date=datetime.date(2026, n, 5),
        total=D(total),
    )


@pytest.fixture
def invoices(regie, family):
    return [
        make_invoice(regie, family, "30.00", 9),
        make_invoice(regie, family, "20.00", 10),
    ]


@pytest.fixture
def regisseur(agent):
    agent.user_permissions.add(
        Permission.objects.get(codename="record_counter_payment")
    )
    return agent


def family_url(family):
    return f"/admin/encaissements/familles/{family.pk}/"


def form(invoices, **fields):
    data = {
        "method": "cheque",
        "amount": "35,00",
        "received_on": timezone.localdate().isoformat(),
        "reference": "0001234",
        "bank": "Crédit Agricole",
        "invoices": [str(invoice.pk) for invoice in invoices],
    }
    for invoice in invoices:
        data[f"seen-{invoice.pk}"] = str(invoice.outstanding())
    data.update(fields)
    return data


def test_an_agent_without_the_permission_sees_but_cannot_record(
    agent_client, family, invoices
):
    page = agent_client.get(family_url(family))
    assert page.status_code == 200
    assert "ENF-2026-000009" in page.content.decode()
    assert "Enregistrer le paiement" not in page.content.decode()
    refused = agent_client.post(family_url(family), form(invoices))
    assert refused.status_code == 302
    assert not Payment.objects.exists()


def test_someone_not_an_agent_is_refused(client, family, invoices):
    client.force_login(UserFactory(username="voisin"))
    response = client.get(family_url(family))
    assert response.status_code in (302, 403)
    assert not Payment.objects.exists()


def test_a_regisseur_records_a_cheque_over_two_invoices_and_gets_a_receipt(
    client, regisseur, family, invoices
):
    client.force_login(regisseur)
    page = client.get(family_url(family))
    assert "Enregistrer le paiement" in page.content.decode()
    response = client.post(family_url(family), form(invoices))
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/encaissements/paiements/{payment.pk}/"
    assert (payment.method, payment.reference, payment.bank) == (
        "cheque",
        "0001234",
        "Crédit Agricole",
    )
    assert payment.recorded_by == regisseur
    paid = [Invoice.objects.get(pk=i.pk).paid_amount for i in invoices]
    assert paid == [D("30.00"), D("5.00")]
    pdf = client.get(f"/admin/encaissements/paiements/{payment.pk}/recu.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].endswith(f'recu-{payment.receipt_number}.pdf"')


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"reference": ""}, "Indiquez le numéro du chèque."),
        ({"bank": ""}, "Indiquez la banque du chèque."),
        ({"amount": "trente"}, "Écrivez un montant en euros"),
        ({"amount": "0"}, "supérieur à zéro"),
        ({"amount": "12,345"}, "deux chiffres après la virgule"),
        ({"method": "transfer", "reference": ""}, "référence du virement"),
        (
            {"received_on": (timezone.localdate() + datetime.timedelta(1)).isoformat()},
            "ne peut pas être future",
        ),
    ],
)
def test_bad_input_says_why_in_french_and_keeps_what_was_typed(
    client, regisseur, family, invoices, fields, message
):
    client.force_login(regisseur)
    data = form(invoices, payer="Mme Mamie Giraud", note="Remis au guichet", **fields)
    response = client.post(family_url(family), data)
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert "Mme Mamie Giraud" in text and "Remis au guichet" in text
    assert not Payment.objects.exists()


def test_a_payment_recorded_meanwhile_is_not_paid_twice(
    client, regisseur, family, invoices
):
    client.force_login(regisseur)
    data = form(invoices[:1], amount="30,00")
    record_payment(
        family, "30", Method.CASH, received_on=timezone.localdate(), recorded_by=None
    )
    response = client.post(family_url(family), data)
    assert response.status_code == 200
    assert "a changé entre-temps" in response.content.decode()
    assert Payment.objects.count() == 1


def test_a_payment_beyond_the_invoices_becomes_credit_used_on_demand(
    client, regisseur, family, invoices, regie
):
    client.force_login(regisseur)
    client.post(family_url(family), form(invoices, amount="60,00"))
    assert credit_of(family) == D("10.00")
    later = make_invoice(regie, family, "8.00", 11)
    page = client.get(family_url(family))
    assert "Utiliser l'avoir" in page.content.decode()
    client.post(f"{family_url(family)}avoir/", {"regie": regie.pk})
    assert Invoice.objects.get(pk=later.pk).paid_amount == D("8.00")
    assert credit_of(family) == D("2.00")


def test_cancelling_needs_a_reason_and_keeps_the_payment(
    client, regisseur, family, invoices
):
    client.force_login(regisseur)
    client.post(family_url(family), form(invoices))
    payment = Payment.objects.get()
    url = f"/admin/encaissements/paiements/{payment.pk}/"
    response = client.post(url, {"reason": "", "confirm": "on"})
    assert response.status_code == 200
    assert not Payment.objects.get().is_reversed
    client.post(url, {"reason": "Mauvaise famille", "confirm": "on"})
    payment.refresh_from_db()
    assert payment.is_reversed and payment.reversal_reason == "Mauvaise famille"
    assert [Invoice.objects.get(pk=i.pk).paid_amount for i in invoices] == [0, 0]


def test_an_agent_without_the_permission_cannot_cancel(agent_client, family, invoices):
    payment = record_payment(
        family, "30", Method.CASH, received_on=timezone.localdate(), recorded_by=None
    )
    agent_client.post(
        f"/admin/encaissements/paiements/{payment.pk}/",
        {"reason": "essai", "confirm": "on"},
    )
    assert not Payment.objects.get().is_reversed


def test_the_parent_sees_the_account_and_only_their_own_receipts(
    client, parent, family, invoices, regie
):
    mine = record_payment(
        family,
        "55.00",
        Method.CASH,
        received_on=timezone.localdate(),
        recorded_by=None,
    )
    other_family = FamilyFactory()
    make_invoice(regie, other_family, "10.00", 12)
    theirs = record_payment(
        other_family,
        "10",
        Method.CASH,
        received_on=timezone.localdate(),
        recorded_by=None,
    )
    client.force_login(parent)
    page = client.get("/espace-famille/paiements/compte/")
    text = page.content.decode()
    assert page.status_code == 200
    assert mine.receipt_number in text and theirs.receipt_number not in text
    assert "Avoir (trop-perçu)" in text and "5,00" in text
    assert "Prélèvement automatique" in text
    own = client.get(f"/espace-famille/paiements/recus/{mine.pk}/")
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    assert (
        client.get(f"/espace-famille/paiements/recus/{theirs.pk}/").status_code == 404
    )
    assert client.get("/espace-famille/paiements/recus/abc/").status_code == 404


def test_my_invoices_links_to_the_account(client, parent, family):
    client.force_login(parent)
    page = client.get("/espace-famille/factures/").content.decode()
    assert "/espace-famille/paiements/compte/" in page


ENGLISH = (
    "This field",
    "Enter a",
    "Select a valid",
    "Ensure this value",
    "is not one of",
    "valid date",
)


def english_in(errors) -> list[str]:
    return [
        message
        for messages in errors.values()
        for message in messages
        if any(words in message for words in ENGLISH)
    ]


BAD = {
    "method": "virement-instantane",
    "amount": "",
    "received_on": "32/13/2026",
    "reference": "x" * 61,
    "bank": "b" * 81,
    "payer": "p" * 151,
    "note": "n" * 1001,
    "invoices": ["999999"],
    "regie": "abc",
}


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_every_message_of_the_counter_forms_is_french(family, invoices, language):
    with translation.override(language):
        counter = CounterPaymentForm(BAD, family=family, open_invoices=invoices)
        assert not counter.is_valid()
        assert set(counter.errors) >= {
            "method",
            "amount",
            "received_on",
            "reference",
            "bank",
            "payer",
            "note",
            "invoices",
            "regie",
        }
        empty = CounterPaymentForm({}, family=family, open_invoices=invoices)
        assert not empty.is_valid()
        export = ExportForm({"regie": "abc", "month": "1999-01-01"})
        assert not export.is_valid() and set(export.errors) == {"regie", "month"}
        missing = ExportForm({})
        assert not missing.is_valid()
        reversal = ReversalForm({"reason": "r" * 1001})
        assert not reversal.is_valid()
        search = FamilySearchForm({"q": "q" * 101})
        assert not search.is_valid()
        for bound in (counter, empty, export, missing, reversal, search):
            assert english_in(bound.errors) == [], bound.errors
    assert "Choisissez le moyen de paiement." in empty.errors["method"]
    assert "Date illisible" in counter.errors["received_on"][0]
    assert "60 caractères au plus" in counter.errors["reference"][0]


def test_a_refused_form_keeps_everything_typed(client, regisseur, family, invoices):
    client.force_login(regisseur)
    data = form(
        invoices[:1],
        amount="abc",
        reference="CHQ-778899",
        bank="Banque Populaire",
        payer="Mme Mamie Giraud",
        note="Remis au guichet le matin",
    )
    response = client.post(family_url(family), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Écrivez un montant en euros" in text
    for typed in (
        'value="abc"',
        'value="CHQ-778899"',
        'value="Banque Populaire"',
        'value="Mme Mamie Giraud"',
        "Remis au guichet le matin",
        f'value="{data["received_on"]}"',
    ):
        assert typed in text, typed
    assert re.search(r'<input[^>]*value="cheque"[^>]*checked', text)
    assert f'value="{invoices[0].pk}" id="invoice-{invoices[0].pk}" checked' in text
    assert f'value="{invoices[1].pk}" id="invoice-{invoices[1].pk}">' in text
    assert not any(words in text for words in ENGLISH)
    assert not Payment.objects.exists()


def test_amounts_in_the_counter_s_messages_are_written_the_french_way(
    client, regisseur, family, invoices
):
    client.force_login(regisseur)
    response = client.post(family_url(family), form(invoices[1:], amount="20,00"))
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any(f"Paiement de {format_money(D('20'))} enregistré" in m for m in shown)
    # Someone paid the first invoice meanwhile: what is left is written 10,00 €.
    data = form(invoices[:1], amount="30,00")
    record_payment(
        family,
        "20",
        Method.CASH,
        received_on=timezone.localdate(),
        recorded_by=None,
        invoices=invoices[:1],
    )
    text = client.post(family_url(family), data).content.decode()
    assert f"il reste {format_money(D('10'))} à payer" in text
