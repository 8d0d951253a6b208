"""The parent signs, sees, replaces and revokes their mandate; nobody else's."""

import datetime

import pytest
from django.urls import reverse

from family_portal.directdebit.models import Mandate, MandateEvent
from tests.factories import UserFactory
from tests.family_portal.factories import FamilyFactory

from .conftest import IBAN, OTHER_IBAN, make_invoice, sign

pytestmark = pytest.mark.django_db

MANDATE = reverse("family_portal:directdebit:mandate")
SIGN = reverse("family_portal:directdebit:sign")


def form(**changes):
    data = {
        "holder_name": "Anne Giraud",
        "street": "3 rue des Lilas",
        "postcode": "24750",
        "city": "Champcevinel",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "",
        "consent": "on",
    }
    data.update(changes)
    return data


def test_the_parent_signs_a_mandate_and_sees_it_masked(client, parent, family):
    client.force_login(parent)
    page = client.get(SIGN)
    assert "FR72ZZZ123456" in page.content.decode()  # the commune's ICS, from settings
    assert page.context["form"]["street"].value() == "3 rue des Lilas"
    response = client.post(SIGN, form())
    assert response.status_code == 302
    mandate = Mandate.objects.get(family=family)
    assert mandate.iban == IBAN and mandate.bic == "AGRIFRPPXXX"
    assert mandate.creditor_id == "FR72ZZZ123456"
    assert mandate.signed_by == parent and mandate.is_active
    assert mandate.events.get().kind == MandateEvent.Kind.SIGNED
    body = client.get(MANDATE).content.decode()
    assert mandate.reference in body
    assert "0189" in body and IBAN not in body and "3000 6000" not in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "clé de contrôle"),
        ({"iban": "BR1800360305000010009795493C1"}, "hors de la zone SEPA"),
        ({"consent": ""}, "Cochez cette case"),
    ],
)
def test_a_wrong_iban_is_refused_in_french_and_nothing_typed_is_lost(
    client, parent, family, changes, message
):
    client.force_login(parent)
    response = client.post(SIGN, form(**changes))
    assert response.status_code == 200
    body = response.content.decode().replace("&#x27;", "'")
    assert message in body
    assert "Anne Giraud" in body and "3 rue des Lilas" in body
    assert not Mandate.objects.exists()


def test_a_new_mandate_replaces_the_active_one(client, parent, family):
    first = sign(family, parent)
    client.force_login(parent)
    client.post(SIGN, form(iban=OTHER_IBAN))
    first.refresh_from_db()
    assert first.status == Mandate.Status.REPLACED
    current = Mandate.objects.get(status=Mandate.Status.ACTIVE)
    assert current.iban == OTHER_IBAN and current.reference != first.reference
    assert first.events.filter(kind=MandateEvent.Kind.REPLACED, by=parent).exists()


def test_mandate_references_are_unique(family, parent):
    references = {sign(family, parent).reference for _ in range(5)}
    assert len(references) == 5
    assert Mandate.objects.filter(status=Mandate.Status.ACTIVE).count() == 1


def test_the_parent_revokes_the_mandate_audited(client, parent, family):
    mandate = sign(family, parent)
    client.force_login(parent)
    url = reverse("family_portal:directdebit:revoke", args=[mandate.pk])
    assert client.post(url, {}).status_code == 200  # the box must be ticked
    mandate.refresh_from_db()
    assert mandate.is_active
    assert client.post(url, {"confirm": "on"}).status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == Mandate.Status.REVOKED and mandate.ended_at
    event = mandate.events.get(kind=MandateEvent.Kind.REVOKED)
    assert event.by == parent and not event.by_agent


def test_another_parent_gets_a_404_and_sees_nothing(client, parent, family):
    mandate = sign(family, parent)
    stranger = UserFactory(username="roux", email="roux@example.org")
    FamilyFactory(name="Famille Roux", users=[stranger])
    client.force_login(stranger)
    url = reverse("family_portal:directdebit:revoke", args=[mandate.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": "on"}).status_code == 404
    assert (
        client.get(reverse("family_portal:directdebit:revoke", args=["x"])).status_code
        == 404
    )
    mandate.refresh_from_db()
    assert mandate.is_active
    assert mandate.reference not in client.get(MANDATE).content.decode()


def test_the_invoice_page_and_e_mail_tell_the_debit_date(
    client, parent, family, regie, mandate, mailoutbox
):
    from django.utils import timezone

    from family_portal.billing import documents
    from home.french import french_date

    today = timezone.localdate()
    due = today + datetime.timedelta(days=20)
    invoice = make_invoice(
        family,
        regie,
        "ENF-2026-000101",
        issued=today - datetime.timedelta(days=3),
        due=due,
        month=datetime.date(2026, 11, 1),
    )
    client.force_login(parent)
    body = client.get(reverse("family_portal:billing:detail", args=[invoice.pk]))
    text = body.content.decode()
    assert f"sera prélevée le {french_date(due)}" in text
    assert "se terminant par 0189" in text and mandate.reference in text
    context = documents.invoice_context(invoice, None)
    from django.template.loader import render_to_string

    mail = render_to_string("billing/email/body.txt", context)
    assert f"sera prélevée le {french_date(due)}" in mail


def test_an_invoice_due_too_soon_after_the_mandate_is_not_announced(
    client, parent, family, regie
):
    sign(family, parent, signed_on=datetime.date(2026, 11, 25))
    invoice = make_invoice(
        family,
        regie,
        "ENF-2026-000102",
        issued=datetime.date(2026, 11, 3),
        due=datetime.date(2026, 11, 30),
    )
    client.force_login(parent)
    text = client.get(
        reverse("family_portal:billing:detail", args=[invoice.pk])
    ).content.decode()
    assert "ne sera pas prélevée" in text


def test_dashboard_and_invoices_link_to_the_mandate_page(client, parent, family):
    client.force_login(parent)
    assert MANDATE in client.get(reverse("family_portal:billing:list")).content.decode()


def test_the_account_page_shows_the_mandate(client, parent, family):
    client.force_login(parent)
    account = reverse("family_portal:payments:account")
    assert "Mettre en place le prélèvement" in client.get(account).content.decode()
    mandate = sign(family, parent)
    text = client.get(account).content.decode()
    assert mandate.reference in text and "se terminant par 0189" in text
    assert IBAN not in text
